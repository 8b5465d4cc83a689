export * from './types.js';
export * from './errors.js';
export * from './dialect.js';
export * from './event-store.js';
export * from './projections.js';
export * from './open-store.js';
export { SqliteDialect } from './sqlite-dialect.js';
export { PostgresDialect } from './postgres-dialect.js';
