// @ferry/nest-modules: the NestJS wiring both processes share — the API (apps/api) and the worker
// (apps/worker): configuration from the environment, the database, the orchestration runtime, and
// where background failures are logged and counted.
export { configFromEnv, type AppConfig } from './config.js';
export { PersistenceModule, APP_CONFIG, OPENED_STORE } from './persistence.module.js';
export { OrchestrationModule } from './orchestration.module.js';
export { BackgroundErrors } from './background-errors.js';
export { JsonLogger, log } from './json-logger.js';
