import { defineConfig } from 'vitest/config';
import { aliases } from './vitest.aliases.js';

export default defineConfig({
  resolve: { alias: aliases },
  test: {
    // Under CI also write JSON results, which .ci/run sums into one closing "N passed, N failed" line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: `artifacts/vitest-${process.env.TEST_BACKEND ?? 'default'}.json` }]]
      : ['default'],
    include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.spec.ts'],
    // *.slow.spec.ts run with `npm run test:slow` (CI runs them after `npm test`).
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.slow.spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
