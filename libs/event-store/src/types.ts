/** `any` skips the check; `no-stream`/`exists` test presence; a number is the exact current version. */
export type ExpectedVersion = 'any' | 'no-stream' | 'exists' | number;

export interface EventMetadata {
  actor?: string;
  correlationId?: string;
  causationId?: string;
  idempotencyKey?: string;
  [key: string]: unknown;
}

/** An event to append: data and metadata must already be JSON-safe (no bigint). */
export interface NewEvent {
  type: string;
  data: unknown;
  metadata?: EventMetadata;
}

export interface StoredEvent {
  /** Global position: strictly increasing in commit order, the cursor for reading everything. */
  position: number;
  streamId: string;
  /** 1 for a stream's first event. */
  streamVersion: number;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  recordedAt: string;
}

export interface AppendRequest {
  streamId: string;
  expectedVersion: ExpectedVersion;
  events: NewEvent[];
}

export interface AppendResult {
  /** The version each stream reached. */
  versions: Record<string, number>;
  /** Position of the last event written (0 when nothing was written). */
  lastPosition: number;
  events: StoredEvent[];
}

/** A response stored under an Idempotency-Key, written in the same transaction as the events. */
export interface IdempotentResponse {
  status: number;
  body: unknown;
}

export interface IdempotencyRecord extends IdempotentResponse {
  key: string;
  fingerprint: string;
}

export interface IdempotencyOptions {
  key: string;
  fingerprint: string;
  /** Builds the answer to store from what the append wrote. */
  respond: (result: AppendResult) => IdempotentResponse;
}

export interface ReadAllOptions {
  after?: number;
  limit?: number;
}

export interface ReadStreamOptions {
  /** Only events at or below this global position: the stream as it was then. */
  upToPosition?: number;
}
