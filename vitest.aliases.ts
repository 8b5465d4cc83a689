import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';

// Tests import workspace packages from source, so `npm test` needs no build step.
export const aliases: Record<string, string> = Object.fromEntries(
  readdirSync('libs')
    .filter((name) => existsSync(resolve('libs', name, 'src/index.ts')))
    .map((name) => [`@ferry/${name}`, resolve('libs', name, 'src/index.ts')]),
);
aliases['@ferry/migrations'] = resolve('migrations/src/index.ts');
