import type { Projection } from '@ferry/event-store';
import { evolveHotplug, type HotplugEvent, type HotplugState } from './hotplug/hotplug-events.js';
import { evolveMigration, type MigrationState } from './migration/migration-decider.js';
import type { MigrationEvent } from './migration/migration-events.js';
import type { EvacuationEvent } from './evacuation/evacuation.js';

// Read models for the list endpoints and the dashboard. Their data holds no bigints, so documents
// are the folded states themselves.

export type MigrationDocument = MigrationState & { version: number; requestedAt: string; updatedAt: string };
export type HotplugDocument = HotplugState & { version: number; requestedAt: string; updatedAt: string };
export type EvacuationDocument = EvacuationEvent['data'] & { startedAt: string };

export const migrationsProjection: Projection<MigrationDocument> = {
  name: 'migrations',
  documentIds: (e) => (e.streamId.startsWith('migration-') ? [e.streamId.slice('migration-'.length)] : []),
  apply: (doc, e) => {
    const next = evolveMigration(doc, e as unknown as MigrationEvent);
    return (
      next && {
        ...next,
        version: e.streamVersion,
        requestedAt: doc?.requestedAt ?? e.recordedAt,
        updatedAt: e.recordedAt,
      }
    );
  },
};

export const hotplugsProjection: Projection<HotplugDocument> = {
  name: 'hotplugs',
  documentIds: (e) => (e.streamId.startsWith('hotplug-') ? [e.streamId.slice('hotplug-'.length)] : []),
  apply: (doc, e) => {
    const next = evolveHotplug(doc, e as unknown as HotplugEvent);
    return (
      next && {
        ...next,
        version: e.streamVersion,
        requestedAt: doc?.requestedAt ?? e.recordedAt,
        updatedAt: e.recordedAt,
      }
    );
  },
};

export const evacuationsProjection: Projection<EvacuationDocument> = {
  name: 'evacuations',
  documentIds: (e) => (e.type === 'EvacuationStarted' ? [e.streamId.slice('evacuation-'.length)] : []),
  apply: (_doc, e) => ({ ...(e.data as EvacuationEvent['data']), startedAt: e.recordedAt }),
};
