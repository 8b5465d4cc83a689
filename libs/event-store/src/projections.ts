import type { EventStore } from './event-store.js';
import type { StoredEvent } from './types.js';

/**
 * A read model kept as JSON documents. `apply` is pure: given the current document (or undefined)
 * and an event, it returns the next document, or undefined to delete it.
 */
export interface Projection<Doc = unknown> {
  readonly name: string;
  /** The documents an event touches; [] when the projection ignores it. */
  documentIds(event: StoredEvent): string[];
  apply(doc: Doc | undefined, event: StoredEvent): Doc | undefined;
}

/** Catches projections up from their checkpoint; the checkpoint is written in the same transaction as the documents. */
export class ProjectionRunner {
  constructor(
    private readonly store: EventStore,
    private readonly batchSize = 500,
  ) {}

  /** Applies every event after the checkpoint. Returns the checkpoint reached. */
  async catchUp<Doc>(projection: Projection<Doc>): Promise<number> {
    const dialect = this.store.dialect;
    for (let attempt = 0; ;) {
      const from = await dialect.checkpoint(projection.name);
      const events = await this.store.readAll({ after: from, limit: this.batchSize });
      if (events.length === 0) return from;
      const written = await this.applyBatch(projection, from, events);
      if (!written) {
        // Another runner moved the checkpoint first; its documents include these events. Re-read.
        if (++attempt > 50)
          throw new Error(`projection ${projection.name}: could not catch up, checkpoint keeps moving`);
        continue;
      }
      if (events.length < this.batchSize) return events[events.length - 1]!.position;
    }
  }

  private async applyBatch<Doc>(projection: Projection<Doc>, from: number, events: StoredEvent[]): Promise<boolean> {
    const touched = new Set<string>();
    for (const event of events) for (const id of projection.documentIds(event)) touched.add(id);
    const docs = new Map<string, Doc | undefined>();
    for (const { id, doc } of await this.store.dialect.readDocuments(projection.name, [...touched]))
      docs.set(id, doc as Doc);
    for (const event of events) {
      for (const id of projection.documentIds(event)) docs.set(id, projection.apply(docs.get(id), event));
    }
    const upserts = [...docs].filter(([, doc]) => doc !== undefined).map(([id, doc]) => ({ id, doc }));
    const deletes = [...touched].filter((id) => docs.get(id) === undefined);
    return this.store.dialect.writeProjectionBatch({
      projection: projection.name,
      fromPosition: from,
      toPosition: events[events.length - 1]!.position,
      upserts,
      deletes,
    });
  }

  /** Drops the read model and replays the whole log into it. */
  async rebuild<Doc>(projection: Projection<Doc>): Promise<number> {
    await this.store.dialect.resetProjection(projection.name);
    return this.catchUp(projection);
  }

  async documents<Doc>(
    projection: Projection<Doc>,
    options: { catchUp?: boolean } = { catchUp: true },
  ): Promise<Doc[]> {
    if (options.catchUp !== false) await this.catchUp(projection);
    return (await this.store.dialect.listDocuments(projection.name)).map((d) => d.doc as Doc);
  }

  async document<Doc>(
    projection: Projection<Doc>,
    id: string,
    options: { catchUp?: boolean } = { catchUp: true },
  ): Promise<Doc | undefined> {
    if (options.catchUp !== false) await this.catchUp(projection);
    return (await this.store.dialect.readDocuments(projection.name, [id]))[0]?.doc as Doc | undefined;
  }
}
