import { createApp } from './create-app.js';
import { configFromEnv } from '@ferry/nest-modules';

const config = configFromEnv();
const app = await createApp(config);
await app.listen(config.port, config.host);
const where = config.databaseUrl ? 'PostgreSQL' : `SQLite ${config.sqlitePath}`;
console.log(`ferry api listening on http://${config.host}:${config.port} (${where}); OpenAPI at /docs`);
