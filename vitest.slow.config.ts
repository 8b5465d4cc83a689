import { defineConfig } from 'vitest/config';
import { aliases } from './vitest.aliases.js';

// The slow suites (`*.slow.spec.ts`): chaos (restarts PostgreSQL and Redis) and fleet-scale browser
// runs. One file at a time, never beside the ordinary suites.
export default defineConfig({
  resolve: { alias: aliases },
  test: {
    // Under CI also write JSON results, which .ci/run sums into one closing "N passed, N failed" line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'artifacts/vitest-slow.json' }]] : ['default'],
    include: ['test/**/*.slow.spec.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
