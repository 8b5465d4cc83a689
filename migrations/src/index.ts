import { EventStore1732100000000 } from './1732100000000-event-store.js';
import { TokenSecrets1765000000000 } from './1765000000000-token-secrets.js';
import { AgentHeartbeats1765100000000 } from './1765100000000-agent-heartbeats.js';
import { AppendFunction1765200000000 } from './1765200000000-append-function.js';

/** Every schema migration, oldest first. TypeORM runs the pending ones on start. */
export const migrations = [
  EventStore1732100000000,
  TokenSecrets1765000000000,
  AgentHeartbeats1765100000000,
  AppendFunction1765200000000,
];
