import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { WorkerModule } from './worker.module.js';
import { configFromEnv } from '@ferry/nest-modules';

// Runs migration and hot-plug jobs from the BullMQ queues in Redis; as many as you like, anywhere.
const config = configFromEnv();
if (!config.redisUrl) {
  console.error('ferry worker: REDIS_URL is not set. Without Redis the API runs the workers itself (embedded mode).');
  process.exit(64);
}
const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
  logger: process.env.FERRY_LOG === 'silent' ? false : ['error', 'warn', 'log'],
});
app.enableShutdownHooks();
console.log(`ferry worker ${process.pid} running (queue prefix ${config.queuePrefix}, lease ${config.leaseMs} ms)`);
