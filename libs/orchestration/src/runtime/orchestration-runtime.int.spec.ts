// OrchestrationRuntime's reconciler against a real event store (SQLite in memory): the log is the
// truth, the queue only a doorbell, so every unfinished migration and hot-plug is enqueued again.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { guestDeviceSchema } from '@ferry/domain';
import { openEventStore, type OpenedStore } from '@ferry/event-store';
import { FleetView } from '../fleet-view.js';
import { DEFAULT_POLICY } from '../migration/convergence-policy.js';
import type { MigrationEvent } from '../migration/migration-events.js';
import type { HotplugEvent } from '../hotplug/hotplug-events.js';
import { OrchestrationRuntime } from './orchestration-runtime.js';

const requested = (id: string): MigrationEvent => ({
  type: 'MigrationRequested',
  data: {
    migrationId: id,
    guestId: `vm-${id}`,
    sourceHostId: 'a',
    destinationHostId: 'b',
    policy: DEFAULT_POLICY,
    backend: 'emulator',
    plan: { verdict: 'ok', conflicts: [], inputs: {} },
    evacuationId: null,
  },
});

describe('OrchestrationRuntime.reconcile', () => {
  let opened: OpenedStore;
  let runtime: OrchestrationRuntime;

  beforeEach(async () => {
    opened = await openEventStore({ sqlitePath: ':memory:' });
    runtime = new OrchestrationRuntime(opened.store, new FleetView(opened.store), {
      queuePrefix: 'unused-without-redis',
      limits: { outboundPerHost: 2, inboundPerHost: 2, fleet: 5 },
      concurrency: 1,
      linkBandwidth: 1.25e9,
      leaseMs: 1_000,
    });
  });
  afterEach(async () => {
    await runtime.close();
    await opened.close();
  });

  it('enqueues every unfinished migration and hot-plug again, and nothing that ended', async () => {
    await opened.store.append('migration-open', [requested('open')]);
    await opened.store.append('migration-running', [
      requested('running'),
      { type: 'MigrationStarted', data: { attempt: 1, worker: 'gone' } },
    ]);
    await opened.store.append('migration-done', [
      requested('done'),
      { type: 'MigrationCancelled', data: { reason: 'x' } },
    ]);
    const hotplug: HotplugEvent = {
      type: 'HotplugRequested',
      data: {
        hotplugId: 'h-1',
        guestId: 'vm-1',
        hostId: 'a',
        device: guestDeviceSchema.parse({ id: 'nic1', kind: 'vfio', hostDevice: '0000:81:00.0' }),
        plan: { verdict: 'ok', conflicts: [], inputs: {} },
        backend: 'emulator',
      },
    };
    await opened.store.append('hotplug-h-1', [hotplug]);

    expect(await runtime.reconcile()).toBe(3);
    expect((await runtime.migrations.counts()).waiting).toBe(2);
    expect((await runtime.hotplugs.counts()).waiting).toBe(1);
  });

  it('enqueues a job once however often it runs (the queue de-duplicates by id)', async () => {
    await opened.store.append('migration-open', [requested('open')]);
    await runtime.reconcile();
    await runtime.reconcile();
    expect((await runtime.migrations.counts()).waiting).toBe(1);
  });
});
