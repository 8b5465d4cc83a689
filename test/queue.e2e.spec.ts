// The job queue on BullMQ with a real Redis and PostgreSQL: API and workers as separate parts,
// random queue prefixes, cleaned up afterwards.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetView, isTerminalState, OrchestrationRuntime } from '@ferry/orchestration';
import { openEventStore, type OpenedStore } from '@ferry/event-store';
import { postgresBackend, type TestBackend } from './support/backends.js';
import { startApp, type RunningApp } from './support/app.js';
import { deleteRedisKeys } from './support/redis.js';
import { startWorker, type WorkerProcess } from './support/worker-process.js';
import { defaultRuntimeConfig } from './support/runtime-config.js';
import { waitFor } from './support/wait-for.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const armHost = (id: string, pool = 'rack') => ({
  id,
  pool,
  arch: 'aarch64',
  cpuVendor: 'arm',
  memory: '1TiB',
  kernel: '6.8.0',
  iommu: { model: 'arm-smmuv3', addressWidthBits: 48, interruptRemapping: true, vfioBackends: ['type1v2'] },
  groups: [
    {
      id: 12,
      reservedRegions: [{ start: '0x08000000', end: '0x080fffff', type: 'msi' }],
      devices: [{ address: '0000:81:00.0', class: 'network', driver: 'vfio-pci' }],
    },
  ],
});
const armGuest = (id: string, host: string, ram = '4GiB') => ({
  id,
  host,
  machine: 'virt-8.2',
  cpuVendor: 'arm',
  memory: { ram },
  migration: { dirtyRate: '1000/s', workingSet: '128MiB' },
});

describe('job queue on BullMQ + Redis', () => {
  const prefix = `ferry-test-${randomBytes(4).toString('hex')}`;
  let backend: TestBackend;
  let api: RunningApp;
  const workers: WorkerProcess[] = [];
  let env: Record<string, string>;
  const migration = (id: string) => api.request('GET', `/v1/migrations/${id}`).then((r) => r.body);
  const submit = async (guestId: string, destinationHostId: string) => {
    const response = await api.request('POST', '/v1/migrations', { body: { guestId, destinationHostId } });
    expect(response.status).toBe(202);
    return response.body.id as string;
  };

  beforeAll(async () => {
    backend = postgresBackend();
    const store = backend.config();
    env = {
      REDIS_URL,
      FERRY_QUEUE_PREFIX: prefix,
      DATABASE_URL: store.databaseUrl!,
      DATABASE_SCHEMA: store.schema!,
      FERRY_LEASE_MS: '3000',
      FERRY_EMULATOR_SPEED: '2',
    };
    // The API only enqueues; workers are separate processes.
    api = await startApp(backend, { redisUrl: REDIS_URL, runWorkers: false, queuePrefix: prefix, leaseMs: 3000 });
    const hosts = ['s1', 's2', 's3', 's4', 'd1', 'd2', 'd3', 'd4'].map((id) => armHost(id));
    await api.request('POST', '/v1/fleet', {
      body: {
        hosts,
        guests: [
          armGuest('solo', 's1'),
          armGuest('stale', 's1'),
          armGuest('victim', 's2'),
          armGuest('cancel-me', 's3', '16GiB'),
        ],
      },
    });
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) await w.kill('SIGKILL');
    await api.close();
    await backend.cleanup();
    await deleteRedisKeys(prefix);
  });

  it('rejects at execution a migration whose plan went stale into a conflict while it waited', async () => {
    const id = await submit('stale', 'd1');
    expect((await migration(id)).state).toBe('requested');
    // The guest now wants a VFIO NIC, and d1 reports a reserved region inside its RAM: no worker has run yet.
    await api.request('POST', '/v1/guests/stale/hotplug-reservations', {
      body: { kind: 'vfio', deviceClass: 'network' },
    });
    await api.request('PATCH', '/v1/hosts/d1', {
      body: {
        groups: [
          {
            id: 12,
            reservedRegions: [{ start: '0x40000000', end: '0x4000ffff', type: 'reserved' }],
            devices: [{ address: '0000:81:00.0', class: 'network', driver: 'vfio-pci' }],
          },
        ],
      },
    });
    workers.push(await startWorker(env));
    const done = await waitFor(
      () => migration(id),
      (m) => isTerminalState(m.state),
      60_000,
    );
    expect(done.state).toBe('rejected');
    expect(done.outcome).toMatch(/RESV_OVERLAPS_GUEST_RAM/);
    const types = (await api.request('GET', `/v1/streams/migration-${id}`)).body.events.map(
      (e: { type: string }) => e.type,
    );
    expect(types).toEqual(['MigrationRequested', 'MigrationReplanned', 'MigrationRejected']);
    expect((await api.request('GET', '/v1/guests/stale')).body.host).toBe('s1');
  }, 60_000);

  it('runs a migration end to end through BullMQ in a worker process, with its full event history', async () => {
    const id = await submit('solo', 'd2');
    const done = await waitFor(
      () => migration(id),
      (m) => isTerminalState(m.state),
      60_000,
    );
    expect(done.state).toBe('completed');
    const events = (await api.request('GET', `/v1/streams/migration-${id}`)).body.events;
    expect(events[0].type).toBe('MigrationRequested');
    expect(events[1]).toMatchObject({ type: 'MigrationStarted', data: { attempt: 1 } });
    expect(events[1].data.worker).toMatch(/:\d+$/);
    expect(events.filter((e: { type: string }) => e.type === 'MigrationProgressed').length).toBeGreaterThan(1);
    expect(events.at(-1).type).toBe('MigrationCompleted');
    expect((await api.request('GET', '/v1/guests/solo')).body.host).toBe('d2');
  }, 60_000);

  it('cancels a running migration: the guest stays on its source', async () => {
    const id = await submit('cancel-me', 'd3');
    await waitFor(
      () => migration(id),
      (m) => m.lastProgress !== null,
      60_000,
    );
    const cancelled = await api.request('POST', `/v1/migrations/${id}/cancel`);
    expect([200, 202]).toContain(cancelled.status);
    const done = await waitFor(
      () => migration(id),
      (m) => isTerminalState(m.state),
      60_000,
    );
    expect(done.state).toBe('cancelled');
    expect((await api.request('GET', '/v1/guests/cancel-me')).body.host).toBe('s3');
    const types = (await api.request('GET', `/v1/streams/migration-${id}`)).body.events.map(
      (e: { type: string }) => e.type,
    );
    expect(types).toContain('MigrationCancelRequested');
    expect(types.at(-1)).toBe('MigrationCancelled');
  }, 60_000);

  it('survives a worker SIGKILLed mid-migration: the guest is on exactly one host and both streams tell the truth', async () => {
    for (const w of workers.splice(0)) await w.kill('SIGTERM');
    const victim = await startWorker({ ...env, FERRY_EMULATOR_SPEED: '0.5' });
    const id = await submit('victim', 'd4');
    await waitFor(
      () => migration(id),
      (m) => m.state === 'running' && m.lastProgress !== null,
      60_000,
    );
    await victim.kill('SIGKILL');
    workers.push(await startWorker(env));
    const done = await waitFor(
      () => migration(id),
      (m) => isTerminalState(m.state),
      90_000,
    );
    expect(done.state).toBe('failed');
    expect(done.outcome).toMatch(/interrupted: the worker running attempt 1 stopped/);
    const guest = (await api.request('GET', '/v1/guests/victim')).body;
    expect(guest.host).toBe('s2');
    const guestEvents = (await api.request('GET', '/v1/streams/guest-victim')).body.events.map(
      (e: { type: string }) => e.type,
    );
    expect(guestEvents).not.toContain('GuestMigrated');
    // The guest can migrate again afterwards: nothing was left half-done, no slot leaked.
    const again = await submit('victim', 'd4');
    expect(
      (
        await waitFor(
          () => migration(again),
          (m) => isTerminalState(m.state),
          60_000,
        )
      ).state,
    ).toBe('completed');
  }, 120_000);
});

describe('migration limits across three worker instances', () => {
  const prefix = `ferry-test-${randomBytes(4).toString('hex')}`;
  let backend: TestBackend;
  let api: RunningApp;
  const opened: OpenedStore[] = [];
  const runtimes: OrchestrationRuntime[] = [];

  beforeAll(async () => {
    backend = postgresBackend();
    api = await startApp(backend, { redisUrl: REDIS_URL, runWorkers: false, queuePrefix: prefix, leaseMs: 3000 });
    // 4 sources × 5 guests = 20 migrations onto 4 destinations.
    const sources = ['src-1', 'src-2', 'src-3', 'src-4'];
    const hosts = [...sources, 'dst-1', 'dst-2', 'dst-3', 'dst-4'].map((id) => armHost(id));
    const guests = sources.flatMap((s, i) => Array.from({ length: 5 }, (_, j) => armGuest(`lim-${i}-${j}`, s, '2GiB')));
    await api.request('POST', '/v1/fleet', { body: { hosts, guests } });
    // Three independent worker instances, each with its own database pool and Redis connections.
    for (let i = 0; i < 3; i++) {
      const store = await openEventStore(backend.config());
      opened.push(store);
      const runtime = new OrchestrationRuntime(store.store, new FleetView(store.store), {
        ...defaultRuntimeConfig(),
        redisUrl: REDIS_URL,
        queuePrefix: prefix,
        workerId: `w${i}`,
        emulatorSpeed: 8,
        leaseMs: 3000,
        concurrency: 4,
        limits: { outboundPerHost: 2, inboundPerHost: 2, fleet: 5 },
      });
      runtimes.push(runtime);
    }
  }, 60_000);

  afterAll(async () => {
    for (const r of runtimes) await r.close();
    for (const o of opened) await o.close();
    await api.close();
    await backend.cleanup();
    await deleteRedisKeys(prefix);
  });

  it('never runs more than 2 outbound per source, 2 inbound per destination or 5 in the fleet (from the log)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 5; j++) {
        const response = await api.request('POST', '/v1/migrations', {
          body: { guestId: `lim-${i}-${j}`, destinationHostId: `dst-${((i + j) % 4) + 1}` },
        });
        ids.push(response.body.id);
      }
    for (const r of runtimes) r.startWorkers();
    await waitFor(
      () => api.request('GET', '/v1/migrations?state=completed&limit=100').then((r) => r.body.total),
      (n) => n === 20,
      120_000,
    );
    // Walk the log in commit order: a migration holds its slot from MigrationStarted to its end.
    const events = (await api.request('GET', '/v1/events?after=0&limit=1000')).body.events.filter(
      (e: { streamId: string }) => e.streamId.startsWith('migration-'),
    );
    const meta = new Map<string, { source: string; destination: string }>();
    const open = new Map<string, { source: string; destination: string }>();
    let peakFleet = 0;
    const peak = { out: new Map<string, number>(), in: new Map<string, number>() };
    let waited = 0;
    for (const e of events) {
      if (e.type === 'MigrationRequested')
        meta.set(e.streamId, { source: e.data.sourceHostId, destination: e.data.destinationHostId });
      if (e.type === 'MigrationWaiting') waited++;
      if (e.type === 'MigrationStarted') open.set(e.streamId, meta.get(e.streamId)!);
      if (e.type === 'MigrationCompleted' || e.type === 'MigrationFailed') open.delete(e.streamId);
      const running = [...open.values()];
      peakFleet = Math.max(peakFleet, running.length);
      for (const m of running) {
        peak.out.set(
          m.source,
          Math.max(peak.out.get(m.source) ?? 0, running.filter((r) => r.source === m.source).length),
        );
        peak.in.set(
          m.destination,
          Math.max(peak.in.get(m.destination) ?? 0, running.filter((r) => r.destination === m.destination).length),
        );
      }
    }
    expect(Math.max(...peak.out.values())).toBeLessThanOrEqual(2);
    expect(Math.max(...peak.in.values())).toBeLessThanOrEqual(2);
    expect(peakFleet).toBeLessThanOrEqual(5);
    // The limits were actually in play: migrations overlapped, and some had to wait, with a reason.
    expect(peakFleet).toBeGreaterThan(1);
    expect(waited).toBeGreaterThan(0);
    const workersUsed = new Set(
      events
        .filter((e: { type: string }) => e.type === 'MigrationStarted')
        .map((e: { data: { worker: string } }) => e.data.worker),
    );
    expect(workersUsed.size).toBeGreaterThan(1);
    expect(ids).toHaveLength(20);
  }, 180_000);
});
