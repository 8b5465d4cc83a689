import { readdirSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests import workspace packages from source, so `npm test` needs no build step.
const libAliases = Object.fromEntries(
  readdirSync('libs')
    .filter((name) => existsSync(resolve('libs', name, 'src/index.ts')))
    .map((name) => [`@ferry/${name}`, resolve('libs', name, 'src/index.ts')]),
);
libAliases['@ferry/migrations'] = resolve('migrations/src/index.ts');
libAliases['@ferry/api/config'] = resolve('apps/api/src/config.ts');
libAliases['@ferry/api/persistence'] = resolve('apps/api/src/persistence.module.ts');
libAliases['@ferry/api/orchestration'] = resolve('apps/api/src/orchestration/orchestration.module.ts');

export default defineConfig({
  resolve: { alias: libAliases },
  test: {
    include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.spec.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.slow.spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
