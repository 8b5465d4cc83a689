// Every contract and e2e suite runs on both backends. PostgreSQL gets a fresh schema per suite.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { StoreConfig } from '@ferry/event-store';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestBackend {
  name: 'sqlite' | 'postgres';
  config(): StoreConfig;
  cleanup(): Promise<void>;
}

export function sqliteBackend(): TestBackend {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-test-'));
  return {
    name: 'sqlite',
    config: () => ({ sqlitePath: join(dir, 'ferry.sqlite') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function postgresBackend(): TestBackend {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  return {
    name: 'postgres',
    config: () => ({ databaseUrl: TEST_DATABASE_URL, schema }),
    cleanup: async () => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

export const backends: Array<() => TestBackend> = [sqliteBackend, postgresBackend];

/**
 * The backend of the suites that boot one app: SQLite by default, PostgreSQL with
 * TEST_BACKEND=postgres (`npm run test:e2e:postgres`, which CI runs too), so every e2e suite runs on both.
 */
export function appBackend(): TestBackend {
  return process.env.TEST_BACKEND === 'postgres' ? postgresBackend() : sqliteBackend();
}
