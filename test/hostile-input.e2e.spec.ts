// Thousands of hostile bodies at every write route: always a 4xx naming the field, never a 5xx,
// the process stays up, and the event log is byte-for-byte what it was.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStore } from '@ferry/event-store';
import { appBackend, type TestBackend } from './support/backends.js';
import { startApp, type RunningApp } from './support/app.js';
import { answerBeforeBody, apply, mutations, type Path, type Target } from './support/hostile.js';

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

/** A long run of `unit` after `head`, ending in a character no pattern accepts (the backtracking worst case). */
const long = (head: string, unit: string, length = 100_000) => `${head}${unit.repeat(length)}!`;

/** One hostile value per free-text or numeric-text field: [label, method, path, body or query, field]. */
const LONG_TEXT: Array<[string, string, string, unknown, string]> = [
  ['host kernel', 'POST', '/v1/hosts', { ...host, kernel: long('1.', '1') }, 'kernel'],
  ['host qemuVersion', 'POST', '/v1/hosts', { ...host, qemuVersion: long('8.', '2') }, 'qemuVersion'],
  [
    'device driver',
    'POST',
    '/v1/hosts',
    { ...host, groups: [{ id: 1, devices: [{ address: '0000:01:00.0', driver: long('', 'v') }] }] },
    'groups[0].devices[0].driver',
  ],
  ['host memory (digits)', 'POST', '/v1/hosts', { ...host, memory: long('', '9') }, 'memory'],
  ['host memory (16 MB of digits)', 'POST', '/v1/hosts', { ...host, memory: '9'.repeat(16_000_000) }, 'memory'],
  [
    'bridge window (hex)',
    'POST',
    '/v1/hosts',
    { ...host, bridgeWindows: [{ start: long('0x', 'f'), end: '0x1' }] },
    'bridgeWindows[0].start',
  ],
  [
    'bridge window (4 MB of hex)',
    'POST',
    '/v1/hosts',
    { ...host, bridgeWindows: [{ start: `0x${'f'.repeat(4_000_000)}`, end: '0x1' }] },
    'bridgeWindows[0].start',
  ],
  ['guest machine', 'POST', '/v1/guests', { ...guest, machine: long('pc-q35-', '8') }, 'machine'],
  [
    'memory-map label',
    'POST',
    '/v1/guests',
    { ...guest, memoryMap: [{ start: '0x0', end: '0x1', kind: 'ram', label: long('', 'l') }] },
    'memoryMap[0].label',
  ],
  ['dirty rate', 'POST', '/v1/guests', { ...guest, migration: { dirtyRate: long('', '5') } }, 'migration.dirtyRate'],
  ['guest ram', 'POST', '/v1/guests', { ...guest, memory: { ram: long('0x', '0') } }, 'memory.ram'],
  [
    'machine default',
    'PUT',
    '/v1/machine-defaults',
    { machineDefaults: [{ machine: long('pc-q35-', 'a'), virtioIommuPlatform: true }] },
    'machineDefaults[0].machine',
  ],
  ['evacuation reason', 'POST', '/v1/hosts/host-a/evacuate', { reason: long('', 'r') }, 'reason'],
  ['cordon reason', 'POST', '/v1/hosts/host-a/cordon', { reason: long('', 'r') }, 'reason'],
  ['token name', 'POST', '/v1/tokens', { name: long('', 'n'), role: 'viewer' }, 'name'],
  [
    'pool maxBandwidth',
    'PUT',
    '/v1/pools/p/migration-policy',
    { policy: { maxBandwidth: long('', '1') } },
    'policy.maxBandwidth',
  ],
  [
    'migration maxBandwidth',
    'POST',
    '/v1/migrations',
    { guestId: 'vm-1', destinationHostId: 'host-b', policy: { maxBandwidth: long('', '7') } },
    'policy.maxBandwidth',
  ],
  ['unknown key', 'POST', '/v1/hosts', { ...host, [long('k', 'k')]: 1 }, '(body)'],
];

describe('long text and huge numbers', () => {
  let backend: TestBackend;
  let api: RunningApp;

  beforeAll(async () => {
    backend = appBackend();
    api = await startApp(backend);
    const fleet = {
      hosts: [
        { ...host, id: 'host-a' },
        { ...host, id: 'host-b' },
      ],
      guests: [{ ...guest, id: 'vm-1' }],
    };
    expect(
      (
        await api.request('POST', '/v1/fleet', {
          body: { ...fleet, guests: [{ ...guest, id: 'vm-1', memoryMap: undefined }] },
        })
      ).status,
    ).toBe(200);
  });
  afterAll(async () => {
    await api.close();
    await backend.cleanup();
  });

  it.each(LONG_TEXT)(
    '%s: a short 400 naming the field, quoting at most a prefix',
    async (_label, method, path, body, field) => {
      const before = (await api.request('GET', '/v1/events?limit=1')).body.lastPosition;
      const response = await api.request(method, path, { body });
      expect(response.status).toBe(400);
      const fields: string[] = response.body.problems.map((p: { field: string }) => p.field);
      if (field === '(body)') expect(fields.some((f) => f.length < 100)).toBe(true);
      else {
        expect(fields).toContain(field);
        // The length check decided, before any pattern or number conversion saw the text.
        const messages = response.body.problems.filter((p: { field: string }) => p.field === field);
        expect(messages.map((p: { message: string }) => p.message).join()).toMatch(/at most \d+ characters/);
      }
      // Never an echo of the input: the whole answer stays small whatever was sent.
      expect(JSON.stringify(response.body).length).toBeLessThan(2000);
      expect((await api.request('GET', '/v1/events?limit=1')).body.lastPosition).toBe(before);
    },
  );

  it('refuses long query strings with a 400 naming the parameter', async () => {
    for (const query of ['guest', 'host', 'evacuation']) {
      const response = await api.request('GET', `/v1/migrations?${query}=${'g'.repeat(4000)}`);
      expect(response.status, query).toBe(400);
      expect(response.body.problems.map((p: { field: string }) => p.field)).toContain(`query.${query}`);
    }
  });
});

/** A fleet file in YAML whose hosts all share one anchored IOMMU block. */
function yamlFleet(hosts: number, extra = ''): string {
  const lines = ['iommuDefaults: &iommu', '  model: intel-vtd', '  addressWidthBits: 48', 'hosts:'];
  for (let i = 0; i < hosts; i++)
    lines.push(
      `  - id: yh-${i}`,
      '    arch: x86_64',
      '    cpuVendor: intel',
      '    memory: 64GiB',
      '    kernel: 6.8.0',
      '    iommu: *iommu',
    );
  return `${lines.join('\n')}\n${extra}`;
}

describe('answers that used to be 500s', () => {
  let backend: TestBackend;
  let api: RunningApp;
  const fleet = {
    hosts: [
      { ...host, id: 'host-a', pool: 'p' },
      { ...host, id: 'host-b', pool: 'p' },
    ],
    guests: [{ ...guest, id: 'vm-1', memoryMap: undefined }],
  };

  beforeAll(async () => {
    backend = appBackend();
    api = await startApp(backend);
    expect((await api.request('POST', '/v1/fleet', { body: fleet })).status).toBe(200);
  });
  afterAll(async () => {
    await api.close();
    await backend.cleanup();
  });

  it.each([
    ['POST', '/v1/plans/migration', { guestId: 'vm-1', destinationHostId: 'host-b', policy: { maxBandwidth: '0' } }],
    ['POST', '/v1/migrations', { guestId: 'vm-1', destinationHostId: 'host-b', policy: { maxBandwidth: 0 } }],
    ['PUT', '/v1/pools/p/migration-policy', { policy: { maxBandwidth: '0' } }],
    ['POST', '/v1/hosts/host-a/evacuate', { policy: { maxBandwidth: '0B' } }],
  ])('%s %s: maxBandwidth 0 is a 400 naming it', async (method, path, body) => {
    const response = await api.request(method, path, { body });
    expect(response.status).toBe(400);
    expect(response.body.problems.map((p: { field: string }) => p.field)).toContain('policy.maxBandwidth');
  });

  it('a bad pool policy stored before validation existed never causes a 500: it is ignored and reported', async () => {
    const store = api.app.get(EventStore);
    await store.append('pool-p', [
      { type: 'PoolPolicySet', data: { pool: 'p', policy: { policy: { maxBandwidth: '0', downtimeLimitMs: 400 } } } },
    ]);
    const shown = await api.request('GET', '/v1/pools/p/migration-policy');
    expect(shown.status).toBe(200);
    expect(shown.body.policy).toEqual({ downtimeLimitMs: 400 });
    expect(shown.body.ignored.map((p: { field: string }) => p.field)).toEqual(['policy.maxBandwidth']);
    const migration = await api.request('POST', '/v1/migrations', {
      body: { guestId: 'vm-1', destinationHostId: 'host-b' },
    });
    expect(migration.status).toBe(202);
    expect(migration.body.policy.downtimeLimitMs).toBe(400);
    expect(migration.body.policy.maxBandwidth).toBeUndefined();
  });

  it('an unknown reservation in GET /v1/conflicts/cell is a 404 naming it, for any viewer', async () => {
    const viewer = await api.issueToken('viewer');
    const response = await api.request('GET', '/v1/conflicts/cell?guest=vm-1&reservation=nope', { token: viewer });
    expect(response.status).toBe(404);
    expect(response.body.problems.map((p: { field: string }) => p.field)).toContain('query.reservation');
    expect((await api.request('GET', '/v1/conflicts/cell?guest=vm-9&host=host-a', { token: viewer })).status).toBe(404);
  });

  it('applies 150 YAML hosts sharing one anchor', async () => {
    const response = await api.request('POST', '/v1/fleet', {
      yaml: yamlFleet(150).replace('iommuDefaults', 'x-defaults'),
    });
    // x-defaults is not a fleet field: the 400 must be about it, not about the aliases.
    expect(response.status).toBe(400);
    expect(response.body.problems.map((p: { field: string }) => p.field)).toEqual(['x-defaults']);
    const text = yamlFleet(150).replace(/^iommuDefaults: &iommu\n {2}model: intel-vtd\n {2}addressWidthBits: 48\n/, '');
    const anchored = text.replace(
      '    iommu: *iommu',
      '    iommu: &iommu\n      model: intel-vtd\n      addressWidthBits: 48',
    );
    const applied = await api.request('POST', '/v1/fleet', { yaml: anchored });
    expect(applied.status).toBe(200);
    expect((await api.request('GET', '/v1/hosts/yh-149')).status).toBe(200);
  });

  it('refuses an alias bomb with a 400 naming the aliases', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      levels.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const response = await api.request('POST', '/v1/fleet', { yaml: `${levels.join('\n')}\nhosts: []\n` });
    expect(response.status).toBe(400);
    expect(response.body.problems[0].field).toBe('(body)');
    expect(response.body.problems[0].message).toMatch(/alias/i);
    // One big anchor repeated: few aliases, but millions of nodes to validate.
    const big = `big: &big [${Array(20_000).fill('1').join(',')}]\nx: [${Array(200).fill('*big').join(',')}]\n`;
    const repeated = await api.request('POST', '/v1/fleet', { yaml: big });
    expect(repeated.status).toBe(400);
    expect(repeated.body.problems[0].message).toMatch(/alias/i);
    const cyclic = await api.request('POST', '/v1/fleet', { yaml: 'hosts: &h [*h]\n' });
    expect(cyclic.status).toBe(400);
  });

  it.each(['!!js/function "function () { return 1 }"', '!!js/regexp /x/', '!custom 5', '!!python/object:os.system ls'])(
    'refuses the YAML tag in "%s" with a 400 naming it',
    async (tagged) => {
      const response = await api.request('POST', '/v1/fleet', {
        yaml: `hosts:\n  - id: tagged\n    arch: x86_64\n    cpuVendor: intel\n    memory: 64GiB\n    kernel: ${tagged}\n    iommu: { model: none }\n`,
      });
      expect(response.status).toBe(400);
      expect(response.body.problems[0].field).toBe('(body)');
      expect(response.body.problems[0].message).toMatch(/tag/i);
      expect(response.body.problems[0].message).toContain(tagged.split(' ')[0]);
    },
  );
});

describe('bounded answers', () => {
  it('pages /v1/guests/:id/destinations and bounds each destination’s conflicts', async () => {
    const backend = appBackend();
    const api = await startApp(backend);
    try {
      // The guest's device sits in a group with 4,096 direct-mapped regions inside guest RAM: one
      // conflict each, with the whole list as evidence, on every answer that names this host.
      const groups = [
        {
          id: 0,
          reservedRegions: Array.from({ length: 4096 }, (_, i) => {
            const start = 0x10000000 + i * 0x1000;
            return { start: `0x${start.toString(16)}`, end: `0x${(start + 0xff).toString(16)}`, type: 'direct' };
          }),
          devices: [{ address: '0000:01:00.0', class: 'network', driver: 'vfio-pci' }],
        },
      ];
      const others = Array.from({ length: 5 }, (_, i) => ({ ...host, id: `plain-${i}` }));
      const fleet = {
        hosts: [{ ...host, id: 'src' }, { ...host, id: 'crowded', groups }, ...others],
        guests: [
          {
            ...guest,
            id: 'vm-d',
            host: 'src',
            memoryMap: undefined,
            devices: [{ id: 'nic', kind: 'vfio', hostDevice: '0000:01:00.0' }],
          },
        ],
      };
      expect((await api.request('POST', '/v1/fleet', { body: fleet })).status).toBe(200);
      const page = await api.request('GET', '/v1/guests/vm-d/destinations?limit=3');
      expect(page.status).toBe(200);
      expect(page.body).toMatchObject({ total: 6, offset: 0, limit: 3 });
      expect(page.body.destinations.map((d: { rank: number }) => d.rank)).toEqual([1, 2, 3]);
      const rest = await api.request('GET', '/v1/guests/vm-d/destinations?offset=3&limit=3');
      expect(rest.body.destinations.map((d: { rank: number }) => d.rank)).toEqual([4, 5, 6]);
      const crowded = [...page.body.destinations, ...rest.body.destinations].find(
        (d: { host: { id: string } }) => d.host.id === 'crowded',
      );
      expect(crowded.verdict).toBe('blocked');
      expect(crowded.conflictCount).toBeGreaterThanOrEqual(4096);
      expect(crowded.conflicts.length).toBeLessThanOrEqual(20);
      expect(crowded.conflictsTruncated).toBe(true);
      for (const conflict of crowded.conflicts)
        for (const value of Object.values(conflict.evidence))
          if (Array.isArray(value)) expect(value.length).toBeLessThanOrEqual(16);
      expect(JSON.stringify(page.body).length + JSON.stringify(rest.body).length).toBeLessThan(100_000);
    } finally {
      await api.close();
      await backend.cleanup();
    }
  }, 60_000);
});

describe('hostile requests before authentication', () => {
  let backend: TestBackend;
  let api: RunningApp;

  beforeAll(async () => {
    backend = appBackend();
    api = await startApp(backend, { authFailureRate: 5 });
  });
  afterAll(async () => {
    await api.close();
    await backend.cleanup();
  });

  it('answers an unauthenticated 32 MB body with 401 before reading it', async () => {
    const anonymous = await answerBeforeBody(api.url, '/v1/fleet', {}, 32 * 1024 * 1024, 1024 * 1024);
    expect(anonymous).not.toBe('no answer');
    expect(anonymous).toMatchObject({ status: 401 });
    const forged = await answerBeforeBody(
      api.url,
      '/v1/hosts',
      { authorization: 'Bearer fry_forged' },
      32 * 1024 * 1024,
      1024 * 1024,
    );
    expect(forged).toMatchObject({ status: expect.any(Number) });
    expect([401, 429]).toContain((forged as { status: number }).status);
  });

  it('still reads the whole body of an authenticated request', async () => {
    const admin = await answerBeforeBody(
      api.url,
      '/v1/fleet',
      { authorization: `Bearer ${api.token}` },
      4 * 1024 * 1024,
      1024 * 1024,
      1000,
    );
    expect(admin).toBe('no answer');
  });

  it('limits invalid-token floods per client address before authenticating, and never fails', async () => {
    const statuses: number[] = [];
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[\x21-\x7e]{1,300}$/), async (secret) => {
        const response = await api.request('GET', '/v1/hosts', { token: secret });
        statuses.push(response.status);
        expect([401, 429]).toContain(response.status);
        if (response.status === 429) expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 60, seed: 4711 },
    );
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(40);
    // The address is limited, not the server: once the budget refills, a valid token works.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await api.request('GET', '/v1/hosts')).status).toBe(200);
  });
});
