import { defineConfig } from 'vitest/config';
import { aliases } from './vitest.aliases.js';

export default defineConfig({
  resolve: { alias: aliases },
  test: {
    include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.spec.ts'],
    // *.slow.spec.ts run with `npm run test:slow` (CI runs them after `npm test`).
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.slow.spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
