import type {
  AppendRequest,
  AppendResult,
  IdempotencyOptions,
  IdempotencyRecord,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
} from './types.js';

export interface ProjectionDocument {
  id: string;
  doc: unknown;
}

export interface ProjectionBatch {
  projection: string;
  /** Compare-and-set: the batch is written only if the checkpoint is still this. */
  fromPosition: number;
  toPosition: number;
  upserts: ProjectionDocument[];
  deletes: string[];
}

/**
 * What differs between SQLite and PostgreSQL. Each method is one atomic step; the EventStore
 * and ProjectionRunner hold the logic that is the same for both.
 */
export interface StoreDialect {
  readonly kind: 'sqlite' | 'postgres';
  append(
    requests: AppendRequest[],
    recordedAt: string,
    idempotency?: IdempotencyOptions,
  ): Promise<AppendResult | IdempotencyRecord>;
  readStream(streamId: string, options: ReadStreamOptions): Promise<StoredEvent[]>;
  readAll(options: Required<ReadAllOptions>): Promise<StoredEvent[]>;
  streamVersion(streamId: string): Promise<number>;
  lastPosition(): Promise<number>;
  findIdempotency(key: string): Promise<IdempotencyRecord | undefined>;
  checkpoint(projection: string): Promise<number>;
  readDocuments(projection: string, ids: string[]): Promise<ProjectionDocument[]>;
  listDocuments(projection: string): Promise<ProjectionDocument[]>;
  writeProjectionBatch(batch: ProjectionBatch): Promise<boolean>;
  resetProjection(projection: string): Promise<void>;
  ping(): Promise<void>;
}
