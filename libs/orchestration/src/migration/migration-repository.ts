import { streamOf } from '@ferry/domain';
import { ConcurrencyError, type EventMetadata, type EventStore } from '@ferry/event-store';
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
   * on the fresh state, so a command never overwrites what it did not see.
   */
  async execute(
    id: string,
    command: MigrationCommand,
    metadata: EventMetadata,
  ): Promise<{ state: MigrationState; events: MigrationEvent[] }> {
    for (let attempt = 0; ; attempt++) {
      const { state, version } = await this.load(id);
      const events = decideMigration(command, state);
      if (events.length > 0) {
        try {
          await this.store.append(
            streamOf.migration(id),
            events.map((e) => ({ type: e.type, data: e.data, metadata })),
            version,
          );
        } catch (error) {
          if (error instanceof ConcurrencyError && attempt < 10) continue;
          throw error;
        }
      }
      return { state: events.reduce<MigrationState | undefined>(evolveMigration, state)!, events };
    }
  }
}
