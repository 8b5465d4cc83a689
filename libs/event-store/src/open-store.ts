import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { migrations } from '@ferry/migrations';
import { EventStore } from './event-store.js';
import { PostgresDialect } from './postgres-dialect.js';
import { SqliteDialect } from './sqlite-dialect.js';

export interface StoreConfig {
  /** postgres://… selects PostgreSQL; otherwise the embedded SQLite file. */
  databaseUrl?: string;
  sqlitePath?: string;
  /** PostgreSQL schema (tests use one per suite); created if missing. */
  schema?: string;
}

export interface OpenedStore {
  store: EventStore;
  dataSource: DataSource;
  close(): Promise<void>;
}

/** Opens the database, runs pending schema migrations, and returns the event store on it. */
export async function openEventStore(config: StoreConfig): Promise<OpenedStore> {
  const dataSource = config.databaseUrl
    ? postgresDataSource(config)
    : sqliteDataSource(config.sqlitePath ?? './data/ferry.sqlite');
  if (config.databaseUrl && config.schema) await createSchema(config.databaseUrl, config.schema);
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  const dialect = config.databaseUrl
    ? new PostgresDialect(dataSource)
    : new SqliteDialect((dataSource.driver as unknown as { databaseConnection: Database }).databaseConnection);
  return { store: new EventStore(dialect), dataSource, close: () => dataSource.destroy() };
}

function sqliteDataSource(path: string): DataSource {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  return new DataSource({
    type: 'better-sqlite3',
    database: path,
    migrations,
    migrationsTableName: 'schema_migrations',
    // WAL lets readers in other processes run while one writes; NORMAL sync is durable across
    // process crashes (not power loss of the last transaction), the usual WAL trade-off.
    prepareDatabase: (db: Database) => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
    },
  });
}

function postgresDataSource(config: StoreConfig): DataSource {
  return new DataSource({
    type: 'postgres',
    url: config.databaseUrl,
    schema: config.schema,
    migrations,
    migrationsTableName: 'schema_migrations',
    extra: { max: 10, ...(config.schema ? { options: `-c search_path=${config.schema}` } : {}) },
  });
}

async function createSchema(url: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const bootstrap = new DataSource({ type: 'postgres', url });
  await bootstrap.initialize();
  try {
    await bootstrap.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } finally {
    await bootstrap.destroy();
  }
}
