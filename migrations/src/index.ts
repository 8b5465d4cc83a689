import { EventStore1732100000000 } from './1732100000000-event-store.js';

/** Every schema migration, oldest first. TypeORM runs the pending ones on start. */
export const migrations = [EventStore1732100000000];
