import type pg from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';
import type { ProjectionBatch, ProjectionDocument, StoreDialect } from './dialect.js';
import { ConcurrencyError } from './errors.js';
import type {
  AppendRequest,
  AppendResult,
  IdempotencyOptions,
  IdempotencyRecord,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
} from './types.js';
import { reportFailureOf } from '@ferry/observability';

interface EventRow {
  position: string;
  stream_id: string;
  stream_version: number;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  recorded_at: string;
}

const toStoredEvent = (row: EventRow): StoredEvent => ({
  position: Number(row.position),
  streamId: row.stream_id,
  streamVersion: row.stream_version,
  type: row.type,
  data: row.data,
  metadata: row.metadata,
  recordedAt: row.recorded_at,
});

/**
 * Appends take one transaction-level advisory lock. Without it, a transaction that drew a lower
 * position from the sequence could commit after one with a higher position, and a reader that had
 * already moved its cursor past the higher one would skip the lower one for ever. With it, positions
 * become visible in order, so `position > cursor` is a complete read. The cost is that appends are
 * serialised across the fleet; `npm run bench` measures it.
 *
 * The lock, the version checks and the writes live in the `ferry_append` function (migrations/), so an
 * append without an idempotency key is one statement: one round trip and the commit's WAL flush.
 */
const APPEND_LOCK = 0x46455252; // "FERR", the same key as ferry_append's
/** The SQLSTATE ferry_append raises when a stream is not at the expected version. */
const VERSION_CONFLICT = 'FR409';
/** A named statement: each pooled connection parses and plans it once. */
const APPEND_STATEMENT = 'ferry_append';
const APPEND_SQL = 'SELECT version_before, positions FROM ferry_append($1::jsonb, $2)';

interface AppendRow {
  version_before: number;
  positions: string[];
}

export class PostgresDialect implements StoreDialect {
  readonly kind = 'postgres' as const;

  constructor(private readonly dataSource: DataSource) {}

  /** node-postgres's pool under TypeORM: one checkout and one query, without TypeORM's runner per call. */
  private get pool(): pg.Pool {
    return (this.dataSource.driver as unknown as { master: pg.Pool }).master;
  }

  private async inTransaction<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      const result = await work(runner);
      await runner.commitTransaction();
      return result;
    } catch (error) {
      // The caller gets the first error; a rollback that fails too (the connection is gone) is reported.
      await runner.rollbackTransaction().catch(reportFailureOf('event-store.rollback'));
      throw error;
    } finally {
      await runner.release();
    }
  }

  async append(
    requests: AppendRequest[],
    recordedAt: string,
    idempotency?: IdempotencyOptions,
  ): Promise<AppendResult | IdempotencyRecord> {
    const values = [JSON.stringify(requests.map(toAppendArgument)), recordedAt];
    if (!idempotency) {
      const { rows } = await this.pool
        .query<AppendRow>({ name: APPEND_STATEMENT, text: APPEND_SQL, values })
        .catch(rethrowConflict(requests));
      return toAppendResult(requests, rows, recordedAt);
    }
    // The stored answer is built by the caller from the result, so this path needs its own transaction:
    // lock and look the key up, append, store the answer, commit.
    return this.inTransaction(async (runner) => {
      const existing = await this.findKey(runner, idempotency.key, true);
      if (existing) return existing;
      const rows: AppendRow[] = await runner.query(APPEND_SQL, values).catch(rethrowConflict(requests));
      const result = toAppendResult(requests, rows, recordedAt);
      const response = idempotency.respond(result);
      await runner.query(
        'INSERT INTO idempotency_keys (idempotency_key, fingerprint, status, body, created_at) VALUES ($1, $2, $3, $4::jsonb, $5)',
        [idempotency.key, idempotency.fingerprint, response.status, JSON.stringify(response.body), recordedAt],
      );
      return result;
    });
  }

  async readStream(streamId: string, options: ReadStreamOptions): Promise<StoredEvent[]> {
    const rows: EventRow[] = await this.dataSource.query(
      'SELECT * FROM events WHERE stream_id = $1 AND position <= $2 ORDER BY stream_version',
      [streamId, options.upToPosition ?? Number.MAX_SAFE_INTEGER],
    );
    return rows.map(toStoredEvent);
  }

  async readAll(options: Required<ReadAllOptions>): Promise<StoredEvent[]> {
    const rows: EventRow[] = await this.dataSource.query(
      'SELECT * FROM events WHERE position > $1 ORDER BY position LIMIT $2',
      [options.after, options.limit],
    );
    return rows.map(toStoredEvent);
  }

  async streamVersion(streamId: string): Promise<number> {
    const rows: { version: number }[] = await this.dataSource.query(
      'SELECT version FROM streams WHERE stream_id = $1',
      [streamId],
    );
    return rows[0]?.version ?? 0;
  }

  async lastPosition(): Promise<number> {
    const rows: { position: string }[] = await this.dataSource.query(
      'SELECT COALESCE(MAX(position), 0) AS position FROM events',
    );
    return Number(rows[0]!.position);
  }

  async findIdempotency(key: string): Promise<IdempotencyRecord | undefined> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await this.findKey(runner, key, false);
    } finally {
      await runner.release();
    }
  }

  /** With `lock`, first takes the append lock (one round trip for both): a concurrent repeat waits here. */
  private async findKey(runner: QueryRunner, key: string, lock: boolean): Promise<IdempotencyRecord | undefined> {
    const rows: { idempotency_key: string | null; fingerprint: string; status: number; body: unknown }[] = lock
      ? await runner.query(
          'SELECT k.* FROM (SELECT pg_advisory_xact_lock($2)) AS locked LEFT JOIN idempotency_keys k ON k.idempotency_key = $1',
          [key, APPEND_LOCK],
        )
      : await runner.query('SELECT * FROM idempotency_keys WHERE idempotency_key = $1', [key]);
    const row = rows[0];
    return row?.idempotency_key
      ? { key: row.idempotency_key, fingerprint: row.fingerprint, status: row.status, body: row.body }
      : undefined;
  }

  async checkpoint(projection: string): Promise<number> {
    const rows: { position: string }[] = await this.dataSource.query(
      'SELECT position FROM projection_checkpoints WHERE name = $1',
      [projection],
    );
    return Number(rows[0]?.position ?? 0);
  }

  async readDocuments(projection: string, ids: string[]): Promise<ProjectionDocument[]> {
    if (ids.length === 0) return [];
    const rows: { doc_id: string; doc: unknown }[] = await this.dataSource.query(
      'SELECT doc_id, doc FROM projection_documents WHERE projection = $1 AND doc_id = ANY($2)',
      [projection, ids],
    );
    return rows.map((row) => ({ id: row.doc_id, doc: row.doc }));
  }

  async listDocuments(projection: string): Promise<ProjectionDocument[]> {
    const rows: { doc_id: string; doc: unknown }[] = await this.dataSource.query(
      'SELECT doc_id, doc FROM projection_documents WHERE projection = $1 ORDER BY doc_id',
      [projection],
    );
    return rows.map((row) => ({ id: row.doc_id, doc: row.doc }));
  }

  async writeProjectionBatch(batch: ProjectionBatch): Promise<boolean> {
    return this.inTransaction(async (runner) => {
      // Row lock on the checkpoint: two runners catching up the same projection serialise here.
      await runner.query(
        'INSERT INTO projection_checkpoints (name, position) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING',
        [batch.projection],
      );
      const rows: { position: string }[] = await runner.query(
        'SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE',
        [batch.projection],
      );
      if (Number(rows[0]!.position) !== batch.fromPosition) return false;
      for (const { id, doc } of batch.upserts) {
        await runner.query(
          'INSERT INTO projection_documents (projection, doc_id, doc) VALUES ($1, $2, $3::jsonb) ON CONFLICT (projection, doc_id) DO UPDATE SET doc = EXCLUDED.doc',
          [batch.projection, id, JSON.stringify(doc)],
        );
      }
      if (batch.deletes.length > 0) {
        await runner.query('DELETE FROM projection_documents WHERE projection = $1 AND doc_id = ANY($2)', [
          batch.projection,
          batch.deletes,
        ]);
      }
      await runner.query('UPDATE projection_checkpoints SET position = $2 WHERE name = $1', [
        batch.projection,
        batch.toPosition,
      ]);
      return true;
    });
  }

  async resetProjection(projection: string): Promise<void> {
    await this.inTransaction(async (runner) => {
      await runner.query('DELETE FROM projection_documents WHERE projection = $1', [projection]);
      await runner.query('DELETE FROM projection_checkpoints WHERE name = $1', [projection]);
    });
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}

const toAppendArgument = (request: AppendRequest) => ({
  streamId: request.streamId,
  expectedVersion: request.expectedVersion,
  events: request.events.map((event) => ({ type: event.type, data: event.data, metadata: event.metadata ?? {} })),
});

/** One row per request, in order (see ferry_append): the version before and the positions written. */
function toAppendResult(requests: AppendRequest[], rows: AppendRow[], recordedAt: string): AppendResult {
  const result: AppendResult = { versions: {}, lastPosition: 0, events: [] };
  requests.forEach((request, index) => {
    const row = rows[index]!;
    request.events.forEach((event, offset) => {
      const position = Number(row.positions[offset]);
      result.events.push({
        position,
        streamId: request.streamId,
        streamVersion: row.version_before + offset + 1,
        type: event.type,
        data: event.data,
        metadata: event.metadata ?? {},
        recordedAt,
      });
      result.lastPosition = position;
    });
    result.versions[request.streamId] = row.version_before + request.events.length;
  });
  return result;
}

/** ferry_append's FR409 becomes the typed ConcurrencyError; anything else passes through. */
const rethrowConflict =
  (requests: AppendRequest[]) =>
  (error: unknown): never => {
    // pg's error from the pool; TypeORM's QueryFailedError (the idempotent path) copies code and detail.
    const { code, detail } = error as { code?: string; detail?: string };
    if (code !== VERSION_CONFLICT || !detail) throw error;
    const conflict = JSON.parse(detail) as { request: number; actual: number };
    const request = requests[conflict.request]!;
    throw new ConcurrencyError(request.streamId, request.expectedVersion, conflict.actual);
  };
