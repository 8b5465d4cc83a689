import { streamOf } from '@ferry/domain';
import { ConcurrencyError, type EventMetadata, type EventStore, type ExpectedVersion } from '@ferry/event-store';
import { decideMigration, evolveMigration, type MigrationCommand, type MigrationState } from './migration-decider.js';
import type { MigrationEvent } from './migration-events.js';

/** Loads a migration stream and appends a command's events with the version it was decided on. */
export class MigrationRepository {
  constructor(private readonly store: EventStore) {}

  async load(id: string): Promise<{ state: MigrationState | undefined; version: number }> {
    const events = await this.store.readStream(streamOf.migration(id));
    const state = events.reduce<MigrationState | undefined>(
      (s, e) => evolveMigration(s, e as unknown as MigrationEvent),
      undefined,
    );
    return { state, version: events.at(-1)?.streamVersion ?? 0 };
  }

  /**
   * Decides and appends; when another writer got in first (a cancel request, say) it decides again
   * on the fresh state, so a command never overwrites what it did not see. With `expectedVersion`
   * (a client's If-Match) it decides once, on that version or not at all. With an idempotency key,
   * the answer is stored with the events and a retry gets it back.
   */
  async execute(
    id: string,
    command: MigrationCommand,
    metadata: EventMetadata,
    options: {
      expectedVersion?: ExpectedVersion;
      idempotency?: { key: string; fingerprint: string; respond: (state: MigrationState, version: number) => unknown };
    } = {},
  ): Promise<{ state: MigrationState; events: MigrationEvent[]; replayed?: { status: number; body: unknown } }> {
    for (let attempt = 0; ; attempt++) {
      const { state, version } = await this.load(id);
      const events = decideMigration(command, state);
      const next = events.reduce<MigrationState | undefined>(evolveMigration, state)!;
      const { idempotency } = options;
      if (events.length > 0 || idempotency) {
        try {
          const outcome = await this.store.appendMany(
            [
              {
                streamId: streamOf.migration(id),
                expectedVersion: options.expectedVersion ?? version,
                events: events.map((e) => ({ type: e.type, data: e.data, metadata })),
              },
            ],
            idempotency && {
              key: idempotency.key,
              fingerprint: idempotency.fingerprint,
              respond: () => ({ status: 200, body: idempotency.respond(next, version + events.length) }),
            },
          );
          if (outcome.kind === 'replayed')
            return { state: next, events: [], replayed: { status: outcome.record.status, body: outcome.record.body } };
        } catch (error) {
          if (error instanceof ConcurrencyError && options.expectedVersion === undefined && attempt < 10) continue;
          throw error;
        }
      }
      return { state: next, events };
    }
  }
}
