// The planner's scenarios, each built as a fleet file and run through the API (issue 3).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appBackend, type TestBackend } from './support/backends.js';
import { startApp, type RunningApp } from './support/app.js';

const example = (name: string) => readFileSync(new URL(`../examples/${name}`, import.meta.url), 'utf8');
type Conflict = { code: string; severity: string; evidence: Record<string, any> };
const codes = (plan: { conflicts: Conflict[] }) => plan.conflicts.map((c) => c.code);

const intelHost = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  pool: 'x86',
  arch: 'x86_64',
  cpuVendor: 'intel',
  memory: '512GiB',
  kernel: '6.8.0',
  iommu: { model: 'intel-vtd', addressWidthBits: 48, interruptRemapping: true, vfioBackends: ['type1v2', 'type1'] },
  groups: [
    {
      id: 20,
      reservedRegions: [{ start: '0xfee00000', end: '0xfeefffff', type: 'msi' }],
      devices: [{ address: '0000:17:00.0', class: 'network', driver: 'vfio-pci' }],
    },
  ],
  ...extra,
});

describe('planner scenarios through the API', () => {
  let backend: TestBackend;
  let api: RunningApp;
  const plan = async (path: string, body: unknown) => {
    const response = await api.request('POST', path, { body });
    expect(response.status).toBe(200);
    return response.body;
  };
  // Each test sets up the fleet it relies on. The example files are desired state with fixed ids: a
  // test applies the file itself (undoing whatever another test changed in it); hand-built scenarios
  // get ids no other test uses.
  const applyArmExample = async () =>
    expect(
      (await api.request('POST', '/v1/fleet', { yaml: example('fleet-arm-migrate-then-hotplug.yaml') })).status,
    ).toBe(200);
  let scenarios = 0;
  const x86Pair = async (guests: Array<Record<string, unknown>> = []) => {
    const suffix = `-t${++scenarios}`;
    const [xa, xb] = [`x-a${suffix}`, `x-b${suffix}`];
    const applied = await api.request('POST', '/v1/fleet', {
      body: { hosts: [intelHost(xa), intelHost(xb)], guests: guests.map((g) => ({ host: xa, ...g })) },
    });
    expect(applied.status).toBe(200);
    return { xa, xb, id: (name: string) => `${name}${suffix}` };
  };
  /** Two Intel hosts with a clean guest on the first, and the aarch64 example beside them (blocked destinations). */
  const cleanGuestScenario = async () => {
    await applyArmExample();
    const n = scenarios + 1;
    const clean = `vm-clean-t${n}`;
    const pair = await x86Pair([
      {
        id: clean,
        machine: 'pc-q35-8.2',
        cpuVendor: 'intel',
        memory: { ram: '4GiB' },
        devices: [{ id: 'net0', kind: 'virtio-net', iommuPlatform: true }],
      },
    ]);
    return { ...pair, clean };
  };

  beforeAll(async () => {
    backend = appBackend();
    api = await startApp(backend);
  });
  afterAll(async () => {
    await api.close();
    await backend.cleanup();
  });

  it('(a) aarch64: migrate-then-hot-plug is caught when the migration is planned, naming region and guest range', async () => {
    await applyArmExample();
    const answer = await plan('/v1/plans/migration', { guestId: 'vm-1', destinationHostId: 'host-b' });
    expect(answer.verdict).toBe('blocked');
    const overlap = answer.conflicts.find((c: Conflict) => c.code === 'MSI_WINDOW_OVERLAPS_GUEST_RAM');
    expect(overlap.evidence).toMatchObject({
      hostId: 'host-b',
      groupId: 7,
      region: { start: '0x202110000', end: '0x20211ffff', type: 'msi' },
      guestRange: { start: '0x40000000', end: '0x43fffffff', kind: 'ram' },
    });
    expect(answer.inputs.guest).toEqual({ id: 'vm-1', version: 5 });
    // The same guest today, on its own host, can take the NIC: the problem is the destination.
    const here = await plan('/v1/plans/hotplug', {
      guestId: 'vm-1',
      device: { kind: 'vfio', hostDevice: '0000:81:00.0' },
    });
    expect(codes(here)).not.toContain('MSI_WINDOW_OVERLAPS_GUEST_RAM');
  });

  it('(a) x86: a guest built with an Intel vCPU whose RAM crosses 0xfd00000000 is flagged for the AMD host', async () => {
    await api.request('POST', '/v1/fleet', { yaml: example('fleet-x86-intel-to-amd.yaml') });
    const answer = await plan('/v1/plans/migration', { guestId: 'vm-big', destinationHostId: 'host-amd' });
    expect(answer.verdict).toBe('blocked');
    const ht = answer.conflicts.find((c: Conflict) => c.code === 'AMD_HT_HOLE_OVERLAP');
    expect(ht.severity).toBe('error');
    expect(JSON.stringify(ht.evidence)).toContain('0xfd00000000');
    const back = await plan('/v1/plans/migration', { guestId: 'vm-big', destinationHostId: 'host-intel' }).catch(
      () => undefined,
    );
    expect(back).toBeUndefined(); // it is already there: planning a migration to its own host is refused
  });

  it('(b) POWER: a KVM-PR host advertising spapr-tce-v2 falls back to v1, and RAM does not fit the 32-bit window', async () => {
    await api.request('POST', '/v1/fleet', {
      body: {
        hosts: [
          {
            id: 'p9-pr',
            pool: 'power',
            arch: 'ppc64le',
            cpuVendor: 'ibm',
            memory: '256GiB',
            kernel: '6.8.0',
            iommu: {
              model: 'spapr-tce',
              addressWidthBits: 64,
              interruptRemapping: true,
              vfioBackends: ['spapr-tce-v2', 'spapr-tce-v1'],
              kvm: 'pr',
            },
            spapr: {
              dma32Window: { start: '0x0', size: '1GiB' },
              dma64WindowAddr: '0x800000000000000',
              pageSizes: ['4KiB', '64KiB', '16MiB'],
              ddw: true,
            },
            groups: [{ id: 3, devices: [{ address: '0001:01:00.0', class: 'network', driver: 'vfio-pci' }] }],
          },
        ],
        guests: [
          {
            id: 'lpar-1',
            host: 'p9-pr',
            machine: 'pseries-8.0',
            cpuVendor: 'ibm',
            memory: { ram: '16GiB' },
            viommu: 'spapr',
            hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }],
          },
        ],
      },
    });
    const answer = await plan('/v1/plans/hotplug', {
      guestId: 'lpar-1',
      device: { kind: 'vfio', hostDevice: '0001:01:00.0' },
    });
    expect(codes(answer)).toEqual(expect.arrayContaining(['SPAPR_V2_FALLBACK_V1', 'SPAPR_WINDOW_TOO_SMALL']));
    expect(answer.verdict).toBe('blocked');
  });

  it('(c) q35 with intel-iommu, a virtio device bypassing it and nested drivers in the guest is silent corruption', async () => {
    const { xb, id } = await x86Pair([
      {
        id: `nested-t${scenarios + 1}`,
        machine: 'pc-q35-8.2',
        cpuVendor: 'intel',
        memory: { ram: '8GiB' },
        viommu: 'intel-iommu',
        viommuAddressWidthBits: 39,
        guestOs: { nestedDriversInGuest: true },
        devices: [{ id: 'net0', kind: 'virtio-net', iommuPlatform: false }],
      },
    ]);
    const nested = id('nested');
    const answer = await plan('/v1/plans/migration', { guestId: nested, destinationHostId: xb });
    expect(answer.verdict).toBe('blocked');
    expect(
      answer.conflicts.filter((c: Conflict) => c.severity === 'corruption').map((c: Conflict) => c.code),
    ).toContain('VIRTIO_PASSTHROUGH_TO_NESTED');
    // Near miss: the same guest with the device honouring the IOMMU has no corruption.
    await api.request('PUT', `/v1/guests/${nested}/devices/net0/iommu-policy`, { body: { iommuPlatform: true } });
    const fixed = await plan('/v1/plans/migration', { guestId: nested, destinationHostId: xb });
    expect(fixed.conflicts.filter((c: Conflict) => c.severity === 'corruption')).toEqual([]);
  });

  it('(d) a group whose second device is still bound to a native driver is not viable', async () => {
    const shared = intelHost('x-shared', {
      groups: [
        {
          id: 31,
          devices: [
            { address: '0000:3b:00.0', class: 'network', driver: 'vfio-pci' },
            { address: '0000:3b:00.1', class: 'network', driver: 'ixgbe' },
          ],
        },
      ],
    });
    await api.request('POST', '/v1/fleet', {
      body: {
        hosts: [shared],
        guests: [{ id: 'vm-d', host: 'x-shared', machine: 'pc-q35-8.2', cpuVendor: 'intel', memory: { ram: '4GiB' } }],
      },
    });
    const answer = await plan('/v1/plans/hotplug', {
      guestId: 'vm-d',
      device: { kind: 'vfio', hostDevice: '0000:3b:00.0' },
    });
    const notViable = answer.conflicts.find((c: Conflict) => c.code === 'GROUP_NOT_VIABLE');
    expect(notViable.severity).toBe('error');
    expect(JSON.stringify(notViable.evidence)).toContain('0000:3b:00.1');
    // Bind the sibling to vfio-pci and the group becomes viable.
    shared.groups[0]!.devices[1]!.driver = 'vfio-pci';
    await api.request('POST', '/v1/fleet', { body: { hosts: [shared] } });
    expect(
      codes(await plan('/v1/plans/hotplug', { guestId: 'vm-d', device: { kind: 'vfio', hostDevice: '0000:3b:00.0' } })),
    ).not.toContain('GROUP_NOT_VIABLE');
  });

  it('(e) a clean migration passes with verdict ok and echoes the stream versions it used', async () => {
    const { xb, clean } = await cleanGuestScenario();
    const answer = await plan('/v1/plans/migration', { guestId: clean, destinationHostId: xb });
    expect(answer).toMatchObject({ verdict: 'ok', conflicts: [] });
    expect(answer.inputs).toMatchObject({ guest: { id: clean, version: 3 }, host: { id: xb, version: 1 } });
  });

  it('ranks destinations with cordoned hosts excluded and the reason given', async () => {
    const { xb, clean } = await cleanGuestScenario();
    await api.request('POST', `/v1/hosts/${xb}/cordon`, { body: { reason: 'BIOS update' } });
    const ranking = (await api.request('GET', `/v1/guests/${clean}/destinations`)).body;
    expect(JSON.stringify(ranking.excluded)).toContain(xb);
    expect(JSON.stringify(ranking.excluded)).toContain('BIOS update');
    expect(ranking.destinations.map((d: { host: { id: string } }) => d.host.id)).not.toContain(xb);
    await api.request('POST', `/v1/hosts/${xb}/uncordon`);
    const again = (await api.request('GET', `/v1/guests/${clean}/destinations`)).body;
    expect(again.destinations.find((d: { host: { id: string } }) => d.host.id === xb)).toMatchObject({
      verdict: 'ok',
    });
    // Best first: every ok destination ranks above every blocked one, ties by free memory.
    const verdicts = again.destinations.map((d: { verdict: string }) => d.verdict);
    expect(verdicts.indexOf('blocked')).toBeGreaterThan(verdicts.lastIndexOf('ok'));
  });

  it('pages destinations: the same ranking, a slice at a time, with the total', async () => {
    const { clean } = await cleanGuestScenario();
    const all = (await api.request('GET', `/v1/guests/${clean}/destinations?limit=1000`)).body;
    const page = (await api.request('GET', `/v1/guests/${clean}/destinations?offset=1&limit=2`)).body;
    expect(all.total).toBe(all.destinations.length);
    expect(page.total).toBe(all.total);
    expect(page.destinations).toEqual(all.destinations.slice(1, 3));
    expect(page.destinations[0].rank).toBe(2);
    const bad = await api.request('GET', `/v1/guests/${clean}/destinations?limit=0`);
    expect(bad.status).toBe(400);
    expect(bad.body.problems[0].field).toBe('query.limit');
  });

  it('summarizes the matrix per pool and per host class; a class label filters the cells', async () => {
    await cleanGuestScenario();
    const whole = (await api.request('GET', '/v1/conflicts?kind=migration&limit=1')).body;
    for (const groupBy of ['pool', 'hostClass']) {
      const summary = (await api.request('GET', `/v1/conflicts/summary?groupBy=${groupBy}&kind=migration`)).body;
      expect(summary.total).toBe(whole.total);
      expect(summary.groups.reduce((n: number, g: { total: number }) => n + g.total, 0)).toBe(whole.total);
    }
    const classes = (await api.request('GET', '/v1/conflicts/summary?groupBy=hostClass&kind=migration')).body;
    const first = classes.groups[0];
    expect(first.key).toMatch(/^hc-[0-9a-f]{8}/);
    expect(first.description).toMatchObject({ exampleHost: expect.any(String), arch: expect.any(String) });
    const cells = (await api.request('GET', `/v1/conflicts?kind=migration&hostClass=${first.key}&limit=1000`)).body;
    expect(cells.total).toBe(first.total);
    const bad = await api.request('GET', '/v1/conflicts/summary?groupBy=rack');
    expect(bad.status).toBe(400);
    expect(bad.body.problems[0].field).toBe('query.groupBy');
  });

  it('keeps the conflict matrix current after a host reports new reserved regions', async () => {
    await applyArmExample();
    const cell = async () =>
      (await api.request('GET', '/v1/conflicts?guest=vm-1&host=host-b&kind=migration')).body.cells[0];
    expect((await cell()).verdict).toBe('blocked');
    // host-b's firmware update moves the ITS doorbell out of guest RAM.
    const fixed = example('fleet-arm-migrate-then-hotplug.yaml').replace(
      '{ start: "0x202110000", end: "0x20211ffff", type: msi }',
      '{ start: "0x9000000000", end: "0x900000ffff", type: msi }',
    );
    const applied = await api.request('POST', '/v1/fleet', { yaml: fixed });
    expect(applied.body.changed).toEqual([{ kind: 'host', id: 'host-b', events: ['ReservedRegionsReported'] }]);
    expect((await cell()).verdict).not.toBe('blocked');
    const drill = await api.request('GET', '/v1/conflicts/cell?guest=vm-1&host=host-b');
    expect(codes(drill.body)).not.toContain('MSI_WINDOW_OVERLAPS_GUEST_RAM');
  });

  it('answers the pool memory layout with a deterministic MSI doorbell that avoids every reserved region', async () => {
    await applyArmExample();
    const first = await api.request('POST', '/v1/pools/rack-7/memory-layout');
    const second = await api.request('POST', '/v1/pools/rack-7/memory-layout');
    expect(first.status).toBe(200);
    expect(first.body).toEqual(second.body);
    expect(JSON.stringify(first.body)).toContain('0x8000000');
  });

  it('warns MIGRATION_WILL_NOT_CONVERGE from the emulator’s forecast, saying which pacing it assumed, and stays silent for a light dirtier', async () => {
    const n = scenarios + 1;
    const dirtier = (id: string, dirtyRate: string) => ({
      id: `${id}-t${n}`,
      machine: 'pc-q35-8.2',
      cpuVendor: 'intel',
      memory: { ram: '8GiB' },
      migration: { dirtyRate, workingSet: '4GiB' },
    });
    const { xb, id } = await x86Pair([dirtier('vm-hot', '2000000/s'), dirtier('vm-calm', '2000/s')]);
    const [vmHot, vmCalm] = [id('vm-hot'), id('vm-calm')];
    const noHelp = { autoConverge: false, completionTimeoutPerGiB: 30 };
    const hot = await plan('/v1/plans/migration', { guestId: vmHot, destinationHostId: xb, policy: noHelp });
    expect(hot.verdict).toBe('warnings');
    const forecast = hot.conflicts.find((c: Conflict) => c.code === 'MIGRATION_WILL_NOT_CONVERGE');
    expect(forecast).toMatchObject({
      severity: 'warning',
      evidence: { dirtyPagesPerSecond: 2000000, guestId: vmHot },
    });
    const calm = await plan('/v1/plans/migration', { guestId: vmCalm, destinationHostId: xb, policy: noHelp });
    expect(forecast.evidence).toMatchObject({ autoConverge: false, pacing: 'vcpu' });
    // With auto-converge (the default) the throttle brings a CPU-bound guest within reach, not one
    // whose writes are paced by outside arrivals: the warning says which it assumed.
    const helped = await plan('/v1/plans/migration', { guestId: vmHot, destinationHostId: xb });
    const assumed = helped.conflicts.find((c: Conflict) => c.code === 'MIGRATION_WILL_NOT_CONVERGE');
    expect(assumed.evidence).toMatchObject({ autoConverge: true, pacing: 'clock', convergesIfVcpuBound: true });
    expect(assumed.message).toContain('if they are CPU-bound, the throttle makes it converge');
    expect(codes(calm)).not.toContain('MIGRATION_WILL_NOT_CONVERGE');
    const calmHelped = await plan('/v1/plans/migration', { guestId: vmCalm, destinationHostId: xb });
    expect(codes(calmHelped)).not.toContain('MIGRATION_WILL_NOT_CONVERGE');
  });

  it('rejects bad plan requests with a field-level 4xx', async () => {
    await applyArmExample();
    const bad = await api.request('POST', '/v1/plans/hotplug', { body: { guestId: 'vm-1', device: { kind: 'gpu' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.problems[0].field).toBe('device.kind');
    expect(
      (await api.request('POST', '/v1/plans/migration', { body: { guestId: 'vm-1', destinationHostId: 'nowhere' } }))
        .status,
    ).toBe(404);
    expect((await api.request('GET', '/v1/conflicts?severity=fatal')).status).toBe(400);
  });
});
