// Migrations, hot-plugs and evacuations end to end on the embedded default (in-process queue and
// workers, emulator backend), on SQLite and PostgreSQL.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminalState, type MigrationDocument } from '@ferry/orchestration';
import { backends, type TestBackend } from './support/backends.js';
import { startApp, type RunningApp } from './support/app.js';
import { waitFor } from './support/wait-for.js';

const armExample = readFileSync(new URL('../examples/fleet-arm-migrate-then-hotplug.yaml', import.meta.url), 'utf8');

const armHost = (
  id: string,
  regions: Array<{ start: string; end: string; type: string }> = [
    { start: '0x08000000', end: '0x080fffff', type: 'msi' },
  ],
  kernel = '6.8.0',
) => ({
  id,
  pool: 'rack-7',
  arch: 'aarch64',
  cpuVendor: 'arm',
  memory: '512GiB',
  kernel,
  iommu: { model: 'arm-smmuv3', addressWidthBits: 48, interruptRemapping: true, vfioBackends: ['type1v2'] },
  groups: [
    { id: 12, reservedRegions: regions, devices: [{ address: '0000:81:00.0', class: 'network', driver: 'vfio-pci' }] },
  ],
});
const armGuest = (id: string, host: string, extra: Record<string, unknown> = {}) => ({
  id,
  host,
  machine: 'virt-8.2',
  cpuVendor: 'arm',
  memory: { ram: '4GiB' },
  migration: { dirtyRate: '2000/s', workingSet: '256MiB' },
  ...extra,
});

describe.each(backends.map((make) => [make().name, make] as const))('migrations on %s', (_name, makeBackend) => {
  let backend: TestBackend;
  let api: RunningApp;
  const migration = (id: string) => api.request('GET', `/v1/migrations/${id}`).then((r) => r.body as MigrationDocument);
  const finished = (m: { state: string }) => isTerminalState(m.state);

  // Each test builds its own corner of the fleet (three hosts in a pool of their own, two guests on the
  // first) under ids no other test uses, so tests pass in any order against one app per backend.
  let scenarios = 0;
  const scenario = async () => {
    const suffix = `-t${++scenarios}`;
    const id = (name: string) => `${name}${suffix}`;
    const pool = id('rack-7');
    const [a1, a2, a3, g1, g2] = ['a1', 'a2', 'a3', 'g1', 'g2'].map(id);
    const applied = await api.request('POST', '/v1/fleet', {
      body: {
        hosts: [a1, a2, a3].map((h) => ({ ...armHost(h), pool })),
        guests: [armGuest(g1, a1), armGuest(g2, a1)],
      },
    });
    expect(applied.status).toBeLessThan(300);
    return { id, pool, a1, a2, a3, g1, g2 };
  };
  const completedMigration = async (guestId: string, destinationHostId: string) => {
    const submitted = await api.request('POST', '/v1/migrations', { body: { guestId, destinationHostId } });
    const done = await waitFor(() => migration(submitted.body.id), finished);
    expect(done.state).toBe('completed');
  };

  beforeAll(async () => {
    backend = makeBackend();
    api = await startApp(backend);
  });
  afterAll(async () => {
    await api.close();
    await backend.cleanup();
  });

  it('runs a migration end to end and records its whole history; the guest moves only on completion', async () => {
    const { a1, a2, g1 } = await scenario();
    const submitted = await api.request('POST', '/v1/migrations', { body: { guestId: g1, destinationHostId: a2 } });
    expect(submitted.status).toBe(202);
    expect(submitted.headers.get('location')).toBe(`/v1/migrations/${submitted.body.id}`);
    const done = await waitFor(() => migration(submitted.body.id), finished);
    expect(done.state).toBe('completed');
    const history = (await api.request('GET', `/v1/streams/migration-${submitted.body.id}`)).body.events.map(
      (e: { type: string }) => e.type,
    );
    expect(history[0]).toBe('MigrationRequested');
    expect(history[1]).toBe('MigrationStarted');
    expect(history.filter((t: string) => t === 'MigrationProgressed').length).toBeGreaterThanOrEqual(2);
    expect(history.slice(-2)).toEqual(['MigrationSwitchedOver', 'MigrationCompleted']);
    const progressed = (await api.request('GET', `/v1/streams/migration-${submitted.body.id}`)).body.events.filter(
      (e: { type: string }) => e.type === 'MigrationProgressed',
    );
    expect(BigInt(progressed.at(-1).data.transferredBytes)).toBeGreaterThanOrEqual(4n * 1024n ** 3n);
    const guest = (await api.request('GET', `/v1/guests/${g1}`)).body;
    expect(guest.host).toBe(a2);
    const guestHistory = (await api.request('GET', `/v1/streams/guest-${g1}`)).body.events;
    const moved = guestHistory.find((e: { type: string }) => e.type === 'GuestMigrated');
    expect(moved.data).toEqual({ fromHostId: a1, toHostId: a2, migrationId: submitted.body.id });
    expect(moved.position).toBeGreaterThan(progressed.at(-1).position);
  });

  it('refuses a blocked migration with every conflict, and records nothing', async () => {
    const { id, pool, a1, g2 } = await scenario();
    const before = (await api.request('GET', '/v1/events?after=0&limit=1000')).body.events.length;
    const answer = await api.request('POST', '/v1/migrations', { body: { guestId: g2, destinationHostId: a1 } });
    expect(answer.status).toBe(400); // already there
    await api.request('POST', '/v1/fleet', {
      body: {
        hosts: [{ ...armHost(id('a-bad'), [{ start: '0x40000000', end: '0x4000ffff', type: 'reserved' }]), pool }],
        guests: [armGuest(id('g-res'), a1, { hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }] })],
      },
    });
    const mid = (await api.request('GET', '/v1/events?after=0&limit=1000')).body.events.length;
    const blocked = await api.request('POST', '/v1/migrations', {
      body: { guestId: id('g-res'), destinationHostId: id('a-bad') },
    });
    expect(blocked.status).toBe(409);
    expect(blocked.body.error).toBe('migration_blocked');
    expect(blocked.body.conflicts.map((c: { code: string }) => c.code)).toContain('RESV_OVERLAPS_GUEST_RAM');
    expect((await api.request('GET', '/v1/events?after=0&limit=1000')).body.events.length).toBe(mid);
    expect(mid).toBeGreaterThan(before);
  });

  it('honours Idempotency-Key on submission', async () => {
    const { id, a3, g2 } = await scenario();
    const headers = { 'idempotency-key': id('migrate-g2-once') };
    const first = await api.request('POST', '/v1/migrations', {
      body: { guestId: g2, destinationHostId: a3 },
      headers,
    });
    const again = await api.request('POST', '/v1/migrations', {
      body: { guestId: g2, destinationHostId: a3 },
      headers,
    });
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    await waitFor(() => migration(first.body.id), finished);
    const all = (await api.request('GET', `/v1/migrations?guest=${g2}`)).body.items;
    expect(all.map((m: { id: string }) => m.id)).toEqual([first.body.id]);
  });

  it('evacuates a host of 10 guests: 8 spread over safe destinations, 2 with no safe one listed with their conflicts', async () => {
    const overlapping = [
      { start: '0x08000000', end: '0x080fffff', type: 'msi' },
      { start: '0x60000000', end: '0x6000ffff', type: 'reserved' },
    ];
    const guests = Array.from({ length: 10 }, (_, i) =>
      armGuest(`ev-${i}`, 'ev-src', i < 2 ? { hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }] } : {}),
    );
    const inPool = (host: ReturnType<typeof armHost>) => ({ ...host, pool: 'ev' });
    await api.request('POST', '/v1/fleet', {
      body: {
        hosts: [
          inPool(armHost('ev-src')),
          inPool(armHost('ev-d1', overlapping)),
          inPool(armHost('ev-d2', overlapping)),
        ],
        guests,
      },
    });
    const started = await api.request('POST', '/v1/hosts/ev-src/evacuate', { body: { reason: 'DIMM replacement' } });
    expect(started.status).toBe(202);
    expect(started.body.moves).toHaveLength(8);
    // The scheduler's plan with the defaults: 4 Gbit/s streams on a 10 Gbit/s link, three at once
    // (the derived outbound limit); its estimate is never below RAM ÷ link.
    expect(started.body.schedule.maxConcurrent).toBe(3);
    expect(started.body.schedule.estimatedMakespanS).toBeGreaterThanOrEqual(started.body.schedule.lowerBoundS);
    expect(started.body.unplaceable.map((u: { guestId: string }) => u.guestId).sort()).toEqual(['ev-0', 'ev-1']);
    expect(started.body.unplaceable[0].conflicts.map((c: { code: string }) => c.code)).toContain(
      'RESV_OVERLAPS_GUEST_RAM',
    );
    expect((await api.request('GET', '/v1/hosts/ev-src')).body).toMatchObject({
      cordoned: true,
      cordonReason: 'DIMM replacement',
    });
    const targets = new Set(started.body.moves.map((m: { destinationHostId: string }) => m.destinationHostId));
    expect(targets).toEqual(new Set(['ev-d1', 'ev-d2']));
    const progress = await waitFor(
      () => api.request('GET', `/v1/evacuations/${started.body.id}`).then((r) => r.body),
      (e) => e.done,
      60_000,
    );
    expect(progress).toMatchObject({ total: 8, completed: 8, failed: 0 });
    const placed = await Promise.all(
      guests.map((g) => api.request('GET', `/v1/guests/${g.id}`).then((r) => r.body.host)),
    );
    expect(placed.slice(0, 2)).toEqual(['ev-src', 'ev-src']);
    expect(placed.slice(2).every((h: string) => h === 'ev-d1' || h === 'ev-d2')).toBe(true);
    // Spread: neither destination took everything.
    expect(placed.filter((h: string) => h === 'ev-d1').length).toBeGreaterThanOrEqual(3);
    expect(placed.filter((h: string) => h === 'ev-d2').length).toBeGreaterThanOrEqual(3);
  });

  it('applies the pool policy, with the migration’s own fields winning', async () => {
    const { id, pool, a1, a3 } = await scenario();
    const set = await api.request('PUT', `/v1/pools/${pool}/migration-policy`, {
      body: { policy: { downtimeLimitMs: 700, autoConverge: false, maxBandwidth: '1GiB' } },
    });
    expect(set.status).toBe(200);
    expect(
      (await api.request('PUT', `/v1/pools/${pool}/migration-policy`, { body: { policy: { downtimeLimitMs: -1 } } }))
        .status,
    ).toBe(400);
    await api.request('POST', '/v1/fleet', { body: { guests: [armGuest(id('g-pol'), a1)] } });
    const submitted = await api.request('POST', '/v1/migrations', {
      body: { guestId: id('g-pol'), destinationHostId: a3, policy: { autoConverge: true } },
    });
    expect(submitted.body.policy).toMatchObject({ downtimeLimitMs: 700, autoConverge: true, maxBandwidth: 1024 ** 3 });
    await waitFor(() => migration(submitted.body.id), finished);
  });

  it('raises the downtime limit after stalled iterations, then converges', async () => {
    const { id, a1, a3 } = await scenario();
    // 200k pages/s (≈780 MiB/s) over 2 GiB against 256 MiB/s: pre-copy cannot keep up until the limit rises.
    await api.request('POST', '/v1/fleet', {
      body: { guests: [armGuest(id('g-stall'), a1, { migration: { dirtyRate: '200000/s', workingSet: '2GiB' } })] },
    });
    const policy = {
      maxBandwidth: '256MiB',
      autoConverge: false,
      downtimeSchedule: [{ afterStalledIterations: 2, downtimeLimitMs: 20000 }],
      completionTimeoutPerGiB: 1000,
    };
    const submitted = await api.request('POST', '/v1/migrations', {
      body: { guestId: id('g-stall'), destinationHostId: a3, policy },
    });
    const done = await waitFor(() => migration(submitted.body.id), finished, 60_000);
    expect(done.state).toBe('completed');
    const events = (await api.request('GET', `/v1/streams/migration-${submitted.body.id}`)).body.events;
    const adjusted = events.find((e: { type: string }) => e.type === 'MigrationPolicyAdjusted');
    expect(adjusted.data).toMatchObject({ downtimeLimitMs: 20000, reason: '2 stalled iterations' });
    expect(done.result?.downtimeMs).toBeGreaterThan(300);
  });

  it('aborts at the completion timeout, or switches to post-copy when the policy says so', async () => {
    const { id, a1, a3 } = await scenario();
    await api.request('POST', '/v1/fleet', {
      body: {
        guests: [
          armGuest(id('g-hot'), a1, { migration: { dirtyRate: '200000/s', workingSet: '2GiB' } }),
          armGuest(id('g-hot2'), a1, { migration: { dirtyRate: '200000/s', workingSet: '2GiB' } }),
        ],
      },
    });
    const base = { maxBandwidth: '256MiB', autoConverge: false, completionTimeoutPerGiB: 10 };
    const aborted = await api.request('POST', '/v1/migrations', {
      body: { guestId: id('g-hot'), destinationHostId: a3, policy: { ...base, onTimeout: 'abort' } },
    });
    const failed = await waitFor(() => migration(aborted.body.id), finished, 60_000);
    expect(failed.state).toBe('failed');
    expect(failed.outcome).toMatch(/did not converge within 40 s/);
    expect((await api.request('GET', `/v1/guests/${id('g-hot')}`)).body.host).toBe(a1);
    const postcopy = await api.request('POST', '/v1/migrations', {
      body: { guestId: id('g-hot2'), destinationHostId: a3, policy: { ...base, onTimeout: 'postcopy' } },
    });
    const done = await waitFor(() => migration(postcopy.body.id), finished, 60_000);
    expect(done.state).toBe('completed');
    expect(done.result?.mode).toBe('postcopy');
    expect((await api.request('GET', `/v1/guests/${id('g-hot2')}`)).body.host).toBe(a3);
  });

  it('lists migrations by state', async () => {
    // Two completed migrations of its own, so the list has something to show whatever ran before.
    const { a2, a3, g1, g2 } = await scenario();
    await completedMigration(g1, a2);
    await completedMigration(g2, a3);
    const completed = (await api.request('GET', '/v1/migrations?state=completed')).body;
    expect(completed.total).toBeGreaterThanOrEqual(2);
    expect(completed.items.every((m: { state: string }) => m.state === 'completed')).toBe(true);
    expect((await api.request('GET', '/v1/migrations?state=flying')).status).toBe(400);
  });

  it('hot-plugs a device through the emulator and records QEMU’s own error when it fails', async () => {
    const { g2 } = await scenario();
    const ok = await api.request('POST', '/v1/hotplugs', {
      body: { guestId: g2, device: { id: 'net9', kind: 'virtio-net', iommuPlatform: true } },
    });
    expect(ok.status).toBe(202);
    const done = await waitFor(
      () => api.request('GET', `/v1/hotplugs/${ok.body.id}`).then((r) => r.body),
      (h) => h.state !== 'requested' && h.state !== 'running',
    );
    expect(done.state).toBe('completed');
    expect((await api.request('GET', `/v1/guests/${g2}`)).body.devices.map((d: { id: string }) => d.id)).toContain(
      'net9',
    );
    // The migrate-then-hot-plug conflict, forced: the emulated kernel refuses the DMA map.
    await api.request('POST', '/v1/fleet', { yaml: armExample });
    await api.request('POST', '/v1/fleet', {
      yaml: armExample.replace(/(guests:\n  - id: vm-1\n    host: )host-a/, '$1host-b'),
    });
    const refused = await api.request('POST', '/v1/hotplugs', {
      body: { guestId: 'vm-1', device: { id: 'nic0', kind: 'vfio', hostDevice: '0000:7d:00.0' } },
    });
    expect(refused.status).toBe(409);
    const forced = await api.request('POST', '/v1/hotplugs', {
      body: { guestId: 'vm-1', device: { id: 'nic0', kind: 'vfio', hostDevice: '0000:7d:00.0' }, force: true },
    });
    const failed = await waitFor(
      () => api.request('GET', `/v1/hotplugs/${forced.body.id}`).then((r) => r.body),
      (h) => h.state === 'failed' || h.state === 'completed',
    );
    expect(failed.state).toBe('failed');
    expect(failed.qemuError).toMatch(/vfio_container_dma_map\(.*\) = -22 \(Invalid argument\)/);
    expect((await api.request('GET', '/v1/guests/vm-1')).body.devices.map((d: { id: string }) => d.id)).not.toContain(
      'nic0',
    );
  });
});
