import type { StoreDialect } from './dialect.js';
import { IdempotencyKeyReusedError } from './errors.js';
import type {
  AppendRequest,
  AppendResult,
  ExpectedVersion,
  IdempotencyOptions,
  IdempotencyRecord,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
} from './types.js';
import { reportBackgroundError } from '@ferry/observability';

export type AppendOutcome =
  { kind: 'appended'; result: AppendResult } | { kind: 'replayed'; record: IdempotencyRecord };

type Listener = (events: StoredEvent[]) => void;

/** The event log. Pure bookkeeping on top of a dialect; the clock comes in as an argument. */
export class EventStore {
  private readonly listeners = new Set<Listener>();
  /** Told how long each append took (metrics); never fails an append. */
  appendObserver: ((seconds: number, events: number) => void) | undefined;

  constructor(
    readonly dialect: StoreDialect,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get kind() {
    return this.dialect.kind;
  }

  async append(streamId: string, events: NewEvent[], expectedVersion: ExpectedVersion = 'any'): Promise<AppendResult> {
    const outcome = await this.appendMany([{ streamId, expectedVersion, events }]);
    if (outcome.kind !== 'appended') throw new Error('unreachable: no idempotency key given');
    return outcome.result;
  }

  /**
   * Appends to several streams atomically: all or nothing, each stream checked against its expected
   * version. With an idempotency key, a repeat of the same request returns the first answer and
   * writes nothing; the same key with a different request is an error.
   */
  async appendMany(requests: AppendRequest[], idempotency?: IdempotencyOptions): Promise<AppendOutcome> {
    const started = performance.now();
    const outcome = await this.dialect.append(requests, this.now().toISOString(), idempotency);
    this.appendObserver?.((performance.now() - started) / 1000, 'events' in outcome ? outcome.events.length : 0);
    if ('fingerprint' in outcome) {
      if (outcome.fingerprint !== idempotency?.fingerprint) throw new IdempotencyKeyReusedError(outcome.key);
      return { kind: 'replayed', record: outcome };
    }
    if (outcome.events.length > 0) this.notify(outcome.events);
    return { kind: 'appended', result: outcome };
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    return this.dialect.readStream(streamId, options);
  }

  readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    return this.dialect.readAll({ after: options.after ?? 0, limit: options.limit ?? 1000 });
  }

  streamVersion(streamId: string): Promise<number> {
    return this.dialect.streamVersion(streamId);
  }

  lastPosition(): Promise<number> {
    return this.dialect.lastPosition();
  }

  async findIdempotency(key: string): Promise<IdempotencyRecord | undefined> {
    return this.dialect.findIdempotency(key);
  }

  /** Called after each append in this process (projections, live streams). Other processes poll readAll. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(events: StoredEvent[]): void {
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch (error) {
        // A listener's failure must never fail the append that already committed.
        reportBackgroundError('event-store.listener', error);
      }
    }
  }
}
