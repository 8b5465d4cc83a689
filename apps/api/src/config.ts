/** Everything the service reads from its environment, read once at start. */
export interface AppConfig {
  port: number;
  host: string;
  /** postgres://… runs on PostgreSQL; unset runs on the embedded SQLite file. */
  databaseUrl?: string;
  sqlitePath: string;
  /** PostgreSQL schema to use (tests give each suite its own). */
  databaseSchema?: string;
  bodyLimit: string;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got ${env.PORT}`);
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    sqlitePath: env.FERRY_SQLITE_PATH ?? `${env.FERRY_DATA_DIR ?? './data'}/ferry.sqlite`,
    databaseSchema: env.DATABASE_SCHEMA || undefined,
    bodyLimit: env.FERRY_BODY_LIMIT ?? '32mb',
  };
}
