export * from './queue.js';
export * from './in-process-queue.js';
export * from './bullmq-queue.js';
export * from './limits.js';
export * from './redis-limits.js';
