import type { DataSource, QueryRunner } from 'typeorm';
import type { ProjectionBatch, ProjectionDocument, StoreDialect } from './dialect.js';
import { checkExpectedVersion } from './errors.js';
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
 */
const APPEND_LOCK = 0x46455252; // "FERR"

export class PostgresDialect implements StoreDialect {
  readonly kind = 'postgres' as const;

  constructor(private readonly dataSource: DataSource) {}

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
    return this.inTransaction(async (runner) => {
      await runner.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK]);
      if (idempotency) {
        const existing = await this.findKey(runner, idempotency.key);
        if (existing) return existing;
      }
      const result: AppendResult = { versions: {}, lastPosition: 0, events: [] };
      for (const request of requests) {
        const rows: { version: number }[] = await runner.query('SELECT version FROM streams WHERE stream_id = $1', [
          request.streamId,
        ]);
        const current = rows[0]?.version ?? 0;
        checkExpectedVersion(request.streamId, request.expectedVersion, current);
        if (request.events.length > 0) {
          const params: unknown[] = [];
          const tuples = request.events.map((event, index) => {
            params.push(
              request.streamId,
              current + index + 1,
              event.type,
              JSON.stringify(event.data),
              JSON.stringify(event.metadata ?? {}),
              recordedAt,
            );
            const b = index * 6;
            return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}::jsonb, $${b + 5}::jsonb, $${b + 6})`;
          });
          const inserted: { position: string }[] = await runner.query(
            `INSERT INTO events (stream_id, stream_version, type, data, metadata, recorded_at) VALUES ${tuples.join(', ')} RETURNING position`,
            params,
          );
          request.events.forEach((event, index) => {
            const position = Number(inserted[index]!.position);
            result.events.push({
              position,
              streamId: request.streamId,
              streamVersion: current + index + 1,
              type: event.type,
              data: event.data,
              metadata: event.metadata ?? {},
              recordedAt,
            });
            result.lastPosition = position;
          });
          await runner.query(
            'INSERT INTO streams (stream_id, version) VALUES ($1, $2) ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version',
            [request.streamId, current + request.events.length],
          );
        }
        result.versions[request.streamId] = current + request.events.length;
      }
      if (idempotency) {
        const response = idempotency.respond(result);
        await runner.query(
          'INSERT INTO idempotency_keys (idempotency_key, fingerprint, status, body, created_at) VALUES ($1, $2, $3, $4::jsonb, $5)',
          [idempotency.key, idempotency.fingerprint, response.status, JSON.stringify(response.body), recordedAt],
        );
      }
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
      return await this.findKey(runner, key);
    } finally {
      await runner.release();
    }
  }

  private async findKey(runner: QueryRunner, key: string): Promise<IdempotencyRecord | undefined> {
    const rows: { idempotency_key: string; fingerprint: string; status: number; body: unknown }[] = await runner.query(
      'SELECT * FROM idempotency_keys WHERE idempotency_key = $1',
      [key],
    );
    const row = rows[0];
    return row && { key: row.idempotency_key, fingerprint: row.fingerprint, status: row.status, body: row.body };
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
