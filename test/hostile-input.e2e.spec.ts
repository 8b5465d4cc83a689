// Thousands of hostile bodies at every write route: always a 4xx naming the field, never a 5xx,
// the process stays up, and the event log is byte-for-byte what it was.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appBackend, type TestBackend } from './support/backends.js';
import { startApp, type RunningApp } from './support/app.js';
import { apply, mutations, type Path, type Target } from './support/hostile.js';

const RUNS = Number(process.env.HOSTILE_RUNS ?? 150);

const host = {
  id: 'host-z',
  pool: 'p',
  arch: 'x86_64',
  cpuVendor: 'intel',
  memory: '64GiB',
  kernel: '6.8.0',
  iommu: { model: 'intel-vtd', addressWidthBits: 48, interruptRemapping: true, vfioBackends: ['type1v2'] },
  bridgeWindows: [{ start: '0x4000000000', end: '0x40ffffffff' }],
  groups: [
    {
      id: 1,
      reservedRegions: [{ start: '0xfee00000', end: '0xfeefffff', type: 'msi' }],
      devices: [{ address: '0000:01:00.0', class: 'network', driver: 'vfio-pci' }],
    },
  ],
};
const hostTargets: Target[] = [
  { path: ['id'], kind: 'id' },
  { path: ['pool'], kind: 'id' },
  { path: ['arch'], kind: 'enum' },
  { path: ['cpuVendor'], kind: 'enum' },
  { path: ['memory'], kind: 'size' },
  { path: ['iommu', 'model'], kind: 'enum' },
  { path: ['iommu', 'addressWidthBits'], kind: 'int' },
  { path: ['iommu', 'interruptRemapping'], kind: 'bool' },
  { path: ['bridgeWindows', 0, 'start'], kind: 'address' },
  { path: ['groups', 0, 'id'], kind: 'int' },
  { path: ['groups', 0, 'reservedRegions', 0, 'start'], kind: 'address' },
  { path: ['groups', 0, 'reservedRegions', 0, 'end'], kind: 'address' },
  { path: ['groups', 0, 'reservedRegions', 0, 'type'], kind: 'enum' },
  { path: ['groups', 0, 'devices', 0, 'address'], kind: 'pci' },
  { path: ['groups', 0, 'devices', 0, 'migratable'], kind: 'bool' },
];
const hostObjects: Path[] = [
  [],
  ['iommu'],
  ['groups', 0],
  ['groups', 0, 'reservedRegions', 0],
  ['groups', 0, 'devices', 0],
];
const hostRanges: Path[] = [
  ['bridgeWindows', 0],
  ['groups', 0, 'reservedRegions', 0],
];

const guest = {
  id: 'vm-z',
  host: 'host-a',
  machine: 'pc-q35-8.2',
  cpuVendor: 'intel',
  memory: { ram: '4GiB', max: '8GiB', slots: 2 },
  physBits: 40,
  devices: [{ id: 'net0', kind: 'virtio-net', iommuPlatform: true }],
  hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }],
  memoryMap: [{ start: '0x0', end: '0xffffffff', kind: 'ram' }],
};
const guestTargets: Target[] = [
  { path: ['id'], kind: 'id' },
  { path: ['host'], kind: 'id' },
  { path: ['cpuVendor'], kind: 'enum' },
  { path: ['memory', 'ram'], kind: 'size' },
  { path: ['memory', 'slots'], kind: 'int' },
  { path: ['physBits'], kind: 'int' },
  { path: ['devices', 0, 'id'], kind: 'id' },
  { path: ['devices', 0, 'kind'], kind: 'enum' },
  { path: ['devices', 0, 'iommuPlatform'], kind: 'bool' },
  { path: ['hotplugReservations', 0, 'kind'], kind: 'enum' },
  { path: ['memoryMap', 0, 'start'], kind: 'address' },
  { path: ['memoryMap', 0, 'kind'], kind: 'enum' },
];
const guestObjects: Path[] = [[], ['memory'], ['devices', 0], ['hotplugReservations', 0], ['memoryMap', 0]];

interface Route {
  method: string;
  path: string;
  base: unknown;
  targets: Target[];
  objects: Path[];
  ranges: Path[];
  prefix?: string;
}

const routes: Route[] = [
  { method: 'POST', path: '/v1/hosts', base: host, targets: hostTargets, objects: hostObjects, ranges: hostRanges },
  {
    method: 'PATCH',
    path: '/v1/hosts/host-a',
    base: { ...host, id: undefined },
    targets: hostTargets.filter((t) => t.path[0] !== 'id'),
    objects: hostObjects,
    ranges: hostRanges,
  },
  {
    // A host agent's report (the admin token may call agent routes): the facts are the host's.
    method: 'PUT',
    path: '/v1/hosts/host-a/agent-report',
    base: { facts: { ...host, id: undefined, pool: undefined }, domains: [] },
    targets: hostTargets
      .filter((t) => t.path[0] !== 'id' && t.path[0] !== 'pool')
      .map((t) => ({ ...t, path: ['facts', ...t.path] })),
    objects: hostObjects.map((o) => ['facts', ...o]),
    ranges: hostRanges.map((r) => ['facts', ...r]),
  },
  {
    method: 'POST',
    path: '/v1/fleet',
    base: { hosts: [host] },
    targets: hostTargets.map((t) => ({ ...t, path: ['hosts', 0, ...t.path] })),
    objects: hostObjects.map((o) => ['hosts', 0, ...o]),
    ranges: hostRanges.map((r) => ['hosts', 0, ...r]),
  },
  {
    method: 'POST',
    path: '/v1/guests',
    base: guest,
    targets: guestTargets,
    objects: guestObjects,
    ranges: [['memoryMap', 0]],
  },
  {
    method: 'POST',
    path: '/v1/guests/vm-1/devices',
    base: { id: 'hba9', kind: 'vfio', hostDevice: '0000:01:00.0' },
    targets: [
      { path: ['id'], kind: 'id' },
      { path: ['kind'], kind: 'enum' },
      { path: ['hostDevice'], kind: 'pci' },
    ],
    objects: [[]],
    ranges: [],
  },
  {
    method: 'PUT',
    path: '/v1/guests/vm-1/devices/net0/iommu-policy',
    base: { iommuPlatform: true },
    targets: [{ path: ['iommuPlatform'], kind: 'nullableBool' }],
    objects: [[]],
    ranges: [],
  },
  {
    method: 'POST',
    path: '/v1/guests/vm-1/hotplug-reservations',
    base: { kind: 'vfio', deviceClass: 'gpu' },
    targets: [
      { path: ['kind'], kind: 'enum' },
      { path: ['deviceClass'], kind: 'enum' },
    ],
    objects: [[]],
    ranges: [],
  },
  {
    method: 'PUT',
    path: '/v1/machine-defaults',
    base: { machineDefaults: [{ machine: 'pc-q35-*', virtioIommuPlatform: true }] },
    targets: [{ path: ['machineDefaults', 0, 'virtioIommuPlatform'], kind: 'bool' }],
    objects: [[], ['machineDefaults', 0]],
    ranges: [],
  },
  {
    method: 'POST',
    path: '/v1/plans/migration',
    base: { guestId: 'vm-1', destinationHostId: 'host-b' },
    targets: [
      { path: ['guestId'], kind: 'id' },
      { path: ['destinationHostId'], kind: 'id' },
    ],
    objects: [[]],
    ranges: [],
  },
  {
    method: 'POST',
    path: '/v1/plans/hotplug',
    base: { guestId: 'vm-1', device: { kind: 'vfio', hostDevice: '0000:01:00.0' } },
    targets: [
      { path: ['device', 'kind'], kind: 'enum' },
      { path: ['device', 'hostDevice'], kind: 'pci' },
    ],
    objects: [[], ['device']],
    ranges: [],
  },
  {
    method: 'POST',
    path: '/v1/migrations',
    base: { guestId: 'vm-1', destinationHostId: 'host-b', policy: { downtimeLimitMs: 500 } },
    targets: [
      { path: ['guestId'], kind: 'id' },
      { path: ['policy', 'downtimeLimitMs'], kind: 'int' },
    ],
    objects: [[], ['policy']],
    ranges: [],
  },
  {
    method: 'POST',
    path: '/v1/hotplugs',
    base: { guestId: 'vm-1', device: { id: 'n7', kind: 'virtio-net' } },
    targets: [
      { path: ['device', 'kind'], kind: 'enum' },
      { path: ['device', 'id'], kind: 'id' },
    ],
    objects: [[], ['device']],
    ranges: [],
  },
  {
    method: 'POST',
    path: '/v1/hosts/host-a/evacuate',
    base: { reason: 'x', policy: { autoConverge: true } },
    targets: [
      { path: ['reason'], kind: 'string' },
      { path: ['policy', 'autoConverge'], kind: 'bool' },
    ],
    objects: [[], ['policy']],
    ranges: [],
  },
];

describe('hostile input', () => {
  let backend: TestBackend;
  let api: RunningApp;
  let logDigest: () => Promise<string>;

  beforeAll(async () => {
    backend = appBackend();
    api = await startApp(backend);
    const fleet = {
      hosts: [
        { ...host, id: 'host-a' },
        { ...host, id: 'host-b' },
      ],
      guests: [{ ...guest, id: 'vm-1', memoryMap: undefined }],
    };
    expect((await api.request('POST', '/v1/fleet', { body: fleet })).status).toBe(200);
    logDigest = async () =>
      createHash('sha256')
        .update(JSON.stringify((await api.request('GET', '/v1/events?after=0&limit=1000')).body.events))
        .digest('hex');
  });
  afterAll(async () => {
    await api.close();
    await backend.cleanup();
  });

  it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: every mutation is a 4xx naming the field, and writes nothing',
    async (_label, route) => {
      const before = await logDigest();
      let sent = 0;
      await fc.assert(
        fc.asyncProperty(mutations(route.targets, route.objects, route.ranges), async (mutation) => {
          const { text, field } = apply(route.base, mutation, route.prefix);
          const response = await api.request(route.method, route.path, { body: text });
          sent++;
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
          const fields: string[] = response.body.problems.map((p: { field: string }) => p.field);
          expect(fields.some((f) => f === field || f.startsWith(`${field}.`) || f.startsWith(`${field}[`))).toBe(true);
        }),
        { numRuns: RUNS, seed: 4711 },
      );
      expect(sent).toBe(RUNS);
      expect(await logDigest()).toBe(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it('refuses 100,000 reserved regions, 5,000-deep nesting, invalid UTF-8 and 2^64 sizes, and stays up', async () => {
    const before = await logDigest();
    const many = {
      ...host,
      id: 'host-many',
      groups: [
        {
          id: 1,
          reservedRegions: Array.from({ length: 100_000 }, (_, i) => ({
            start: `0x${(i * 0x10000).toString(16)}`,
            end: `0x${(i * 0x10000 + 0xfff).toString(16)}`,
            type: 'reserved',
          })),
        },
      ],
    };
    const huge = await api.request('POST', '/v1/hosts', { body: many });
    expect(huge.status).toBe(400);
    expect(huge.body.problems[0].field).toBe('groups[0].reservedRegions');
    const deep = `{"id":"host-deep","x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const nested = await api.request('POST', '/v1/hosts', { body: deep });
    expect(nested.status).toBe(400);
    const bad = Buffer.concat([Buffer.from('{"id":"host-'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
    const utf8 = await fetch(`${api.url}/v1/hosts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(api.token ? { authorization: `Bearer ${api.token}` } : {}) },
      body: bad,
    });
    expect(utf8.status).toBe(400);
    const duplicate = await api.request('POST', '/v1/fleet', {
      body: {
        hosts: [
          { ...host, id: 'dup' },
          { ...host, id: 'dup' },
        ],
      },
    });
    expect(duplicate.body.problems.map((p: { field: string }) => p.field)).toContain('hosts[1].id');
    const size = await api.request('POST', '/v1/hosts', {
      body: { ...host, id: 'host-big', memory: '18446744073709551616' },
    });
    expect(size.body.problems.map((p: { field: string }) => p.field)).toContain('memory');
    expect(await logDigest()).toBe(before);
    expect((await api.request('GET', '/health')).status).toBe(200);
  });
});
