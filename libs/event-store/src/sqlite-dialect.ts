import type { Database, Statement } from 'better-sqlite3';
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

interface EventRow {
  position: number;
  stream_id: string;
  stream_version: number;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
}

const toStoredEvent = (row: EventRow): StoredEvent => ({
  position: row.position,
  streamId: row.stream_id,
  streamVersion: row.stream_version,
  type: row.type,
  data: JSON.parse(row.data),
  metadata: JSON.parse(row.metadata),
  recordedAt: row.recorded_at,
});

/** How long a write waits for another connection's write lock before failing (SQLITE_BUSY, a 503). */
const BUSY_WAIT_MS = 5000;

/**
 * better-sqlite3 is synchronous and TypeORM shares one connection, so every write here is one
 * synchronous transaction: nothing else can run on the connection between its BEGIN and COMMIT,
 * which rules out interleaved transactions and readers seeing uncommitted rows.
 *
 * SQLite's own busy wait (busy_timeout) would sleep inside that synchronous call and freeze the event
 * loop while another process writes, so it is off: a write that finds the lock taken retries on a
 * timer instead. Reads never need the lock (WAL).
 */
export class SqliteDialect implements StoreDialect {
  readonly kind = 'sqlite' as const;
  private readonly statements: Record<string, Statement>;

  constructor(private readonly db: Database) {
    db.pragma('busy_timeout = 0');
    const sql = {
      streamVersion: 'SELECT version FROM streams WHERE stream_id = ?',
      upsertStream:
        'INSERT INTO streams (stream_id, version) VALUES (?, ?) ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version',
      insertEvent:
        'INSERT INTO events (stream_id, stream_version, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?)',
      readStream: 'SELECT * FROM events WHERE stream_id = ? AND position <= ? ORDER BY stream_version',
      readAll: 'SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?',
      lastPosition: 'SELECT COALESCE(MAX(position), 0) AS position FROM events',
      findKey: 'SELECT * FROM idempotency_keys WHERE idempotency_key = ?',
      insertKey:
        'INSERT INTO idempotency_keys (idempotency_key, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?)',
      checkpoint: 'SELECT position FROM projection_checkpoints WHERE name = ?',
      upsertCheckpoint:
        'INSERT INTO projection_checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
      upsertDoc:
        'INSERT INTO projection_documents (projection, doc_id, doc) VALUES (?, ?, ?) ON CONFLICT (projection, doc_id) DO UPDATE SET doc = excluded.doc',
      deleteDoc: 'DELETE FROM projection_documents WHERE projection = ? AND doc_id = ?',
      listDocs: 'SELECT doc_id, doc FROM projection_documents WHERE projection = ? ORDER BY doc_id',
      readDoc: 'SELECT doc_id, doc FROM projection_documents WHERE projection = ? AND doc_id = ?',
      deleteDocs: 'DELETE FROM projection_documents WHERE projection = ?',
      deleteCheckpoint: 'DELETE FROM projection_checkpoints WHERE name = ?',
    };
    this.statements = Object.fromEntries(Object.entries(sql).map(([name, text]) => [name, db.prepare(text)]));
  }

  async append(
    requests: AppendRequest[],
    recordedAt: string,
    idempotency?: IdempotencyOptions,
  ): Promise<AppendResult | IdempotencyRecord> {
    const s = this.statements;
    const run = this.db.transaction((): AppendResult | IdempotencyRecord => {
      if (idempotency) {
        const existing = this.findKeySync(idempotency.key);
        if (existing) return existing;
      }
      const result: AppendResult = { versions: {}, lastPosition: 0, events: [] };
      for (const request of requests) {
        const current = (s.streamVersion!.get(request.streamId) as { version: number } | undefined)?.version ?? 0;
        checkExpectedVersion(request.streamId, request.expectedVersion, current);
        let version = current;
        for (const event of request.events) {
          version++;
          const metadata = event.metadata ?? {};
          const info = s.insertEvent!.run(
            request.streamId,
            version,
            event.type,
            JSON.stringify(event.data),
            JSON.stringify(metadata),
            recordedAt,
          );
          const position = Number(info.lastInsertRowid);
          result.events.push({
            position,
            streamId: request.streamId,
            streamVersion: version,
            type: event.type,
            data: event.data,
            metadata,
            recordedAt,
          });
          result.lastPosition = position;
        }
        if (version !== current) s.upsertStream!.run(request.streamId, version);
        result.versions[request.streamId] = version;
      }
      if (idempotency) {
        const response = idempotency.respond(result);
        s.insertKey!.run(
          idempotency.key,
          idempotency.fingerprint,
          response.status,
          JSON.stringify(response.body),
          recordedAt,
        );
      }
      return result;
    });
    // IMMEDIATE takes the write lock at BEGIN, so a second process fails fast instead of deadlocking.
    return whenUnlocked(() => run.immediate());
  }

  async readStream(streamId: string, options: ReadStreamOptions): Promise<StoredEvent[]> {
    const rows = this.statements.readStream!.all(
      streamId,
      options.upToPosition ?? Number.MAX_SAFE_INTEGER,
    ) as EventRow[];
    return rows.map(toStoredEvent);
  }

  async readAll(options: Required<ReadAllOptions>): Promise<StoredEvent[]> {
    return (this.statements.readAll!.all(options.after, options.limit) as EventRow[]).map(toStoredEvent);
  }

  async streamVersion(streamId: string): Promise<number> {
    return (this.statements.streamVersion!.get(streamId) as { version: number } | undefined)?.version ?? 0;
  }

  async lastPosition(): Promise<number> {
    return (this.statements.lastPosition!.get() as { position: number }).position;
  }

  async findIdempotency(key: string): Promise<IdempotencyRecord | undefined> {
    return this.findKeySync(key);
  }

  private findKeySync(key: string): IdempotencyRecord | undefined {
    const row = this.statements.findKey!.get(key) as
      { idempotency_key: string; fingerprint: string; status: number; body: string } | undefined;
    return (
      row && { key: row.idempotency_key, fingerprint: row.fingerprint, status: row.status, body: JSON.parse(row.body) }
    );
  }

  async checkpoint(projection: string): Promise<number> {
    return Number((this.statements.checkpoint!.get(projection) as { position: number } | undefined)?.position ?? 0);
  }

  async readDocuments(projection: string, ids: string[]): Promise<ProjectionDocument[]> {
    const docs: ProjectionDocument[] = [];
    for (const id of ids) {
      const row = this.statements.readDoc!.get(projection, id) as { doc_id: string; doc: string } | undefined;
      if (row) docs.push({ id: row.doc_id, doc: JSON.parse(row.doc) });
    }
    return docs;
  }

  async listDocuments(projection: string): Promise<ProjectionDocument[]> {
    const rows = this.statements.listDocs!.all(projection) as { doc_id: string; doc: string }[];
    return rows.map((row) => ({ id: row.doc_id, doc: JSON.parse(row.doc) }));
  }

  async writeProjectionBatch(batch: ProjectionBatch): Promise<boolean> {
    const s = this.statements;
    const write = this.db.transaction((): boolean => {
      const current = Number((s.checkpoint!.get(batch.projection) as { position: number } | undefined)?.position ?? 0);
      if (current !== batch.fromPosition) return false;
      for (const { id, doc } of batch.upserts) s.upsertDoc!.run(batch.projection, id, JSON.stringify(doc));
      for (const id of batch.deletes) s.deleteDoc!.run(batch.projection, id);
      s.upsertCheckpoint!.run(batch.projection, batch.toPosition);
      return true;
    });
    return whenUnlocked(() => write.immediate());
  }

  async resetProjection(projection: string): Promise<void> {
    const reset = this.db.transaction(() => {
      this.statements.deleteDocs!.run(projection);
      this.statements.deleteCheckpoint!.run(projection);
    });
    await whenUnlocked(() => reset.immediate());
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }
}

/** Runs a write transaction, retrying on a timer (1 ms, doubling to 50 ms) while another connection holds the lock. */
async function whenUnlocked<T>(write: () => T): Promise<T> {
  const deadline = performance.now() + BUSY_WAIT_MS;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    try {
      return write();
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || performance.now() >= deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
