// ESLint: type-aware safety rules, no import cycles, and the layer graph as a boundary rule.
// Formatting is Prettier's job (`npm run format`); eslint-config-prettier turns off the rules it owns.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The layer graph: which workspace packages each package may import. domain, emulator, jobs and the
 * schema migrations sit at the bottom (with observability, the channel background failures report to) and import no other package; no app imports another app.
 * The tsconfig `references` of each package say the same; this rule says it where the import is written.
 */
const layers = {
  'libs/observability': [],
  'libs/domain': [],
  'libs/emulator': [],
  'libs/jobs': ['observability'],
  migrations: [],
  'libs/event-store': ['migrations', 'observability'],
  'libs/importers': ['domain'],
  'libs/planner': ['domain'],
  'libs/qemu': ['emulator', 'observability'],
  'libs/fleet': ['domain', 'event-store'],
  'libs/orchestration': ['domain', 'emulator', 'event-store', 'fleet', 'jobs', 'observability', 'planner'],
  'libs/nest-modules': ['event-store', 'fleet', 'observability', 'orchestration', 'qemu'],
  'apps/api': [
    'domain',
    'emulator',
    'event-store',
    'fleet',
    'jobs',
    'nest-modules',
    'observability',
    'orchestration',
    'planner',
    'qemu',
  ],
  'apps/cli': ['domain', 'importers', 'orchestration'],
  'apps/worker': ['nest-modules'],
};
const packageName = (dir) => dir.split('/').at(-1);
const allPackages = Object.keys(layers).map(packageName);

const boundaries = Object.entries(layers).map(([dir, allowed]) => {
  const forbidden = allPackages.filter((name) => name !== packageName(dir) && !allowed.includes(name));
  return {
    files: [`${dir}/src/**/*.ts`],
    ignores: ['**/*.spec.ts', '**/*.spec-support.ts', '**/test-support/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: forbidden.flatMap((name) => [`@ferry/${name}`, `@ferry/${name}/*`]),
              message: `${dir} may import only ${allowed.map((name) => `@ferry/${name}`).join(', ') || 'no other workspace package'} (the layer graph in eslint.config.js).`,
            },
          ],
        },
      ],
      // A relative path into another package would walk around the rule above.
      'import-x/no-relative-packages': 'error',
    },
  };
});

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'data/**', 'artifacts/**', 'coverage/**', 'libs/qemu/guest/**'],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    plugins: { 'import-x': importX },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    settings: {
      // Without these, import-x treats .ts modules as unparseable and no-cycle silently sees no edges.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // The workspace packages are ours: follow them when looking for cycles.
      'import-x/internal-regex': '^@ferry/',
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          project: 'tsconfig.json',
          conditionNames: ['ferry-source', 'types', 'import', 'default'],
        }),
      ],
    },
    rules: {
      // The safety rules the review asked for.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // `const { spec: _spec, ...plain } = move` drops a field on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // Off, each with its reason:
      // `rows[0]!` documents that the element exists; without noUncheckedIndexedAccess the compiler
      // calls that assertion unnecessary (230 hits of that kind).
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // An async method without await still keeps its interface's Promise contract and turns a throw
      // into a rejection (the SQLite dialect is synchronous behind the async EventStore port).
      '@typescript-eslint/require-await': 'off',
      // The database drivers and JSON.parse hand back `any`; the code names the row's type on the
      // variable it assigns to (`const rows: {version: number}[] = await runner.query(…)`), which is the check.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    // Tests, benches and the CLI read the API's JSON, which is `any` by nature and which they do not
    // re-declare; the no-unsafe-* rules stay on for the libraries and the servers.
    files: ['**/*.spec.ts', '**/*.spec-support.ts', '**/test-support/**', 'test/**', 'bench/**', 'apps/cli/src/**'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // The suites match terminal output: ANSI escapes and the CLI's two-space column gaps, as printed.
    files: ['**/*.spec.ts', 'test/**'],
    rules: { 'no-control-regex': 'off', 'no-regex-spaces': 'off' },
  },
  ...boundaries,
  {
    // The dashboard: plain ES modules served to the browser as they are.
    files: ['apps/api/src/dashboard/static/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'module' },
  },
  {
    files: ['*.js'],
    languageOptions: { globals: globals.node },
  },
  prettier,
);
