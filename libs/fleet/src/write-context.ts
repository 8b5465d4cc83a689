import type { EventMetadata, ExpectedVersion } from '@ferry/event-store';

/** Who is writing and how: the metadata every event records, and the HTTP preconditions. */
export interface WriteContext {
  metadata: EventMetadata;
  /** From If-Match; absent means "the version I just read" (optimistic, retried by apply). */
  expectedVersion?: ExpectedVersion;
  idempotency?: { key: string; fingerprint: string };
}

/** The answer to a write, the same whether it was just made or replayed from an idempotency key. */
export interface WriteOutcome {
  status: number;
  body: unknown;
  replayed: boolean;
}
