import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appBackend, backends, type TestBackend } from './support/backends.js';
import { startApp, type RunningApp } from './support/app.js';

const armExample = readFileSync(new URL('../examples/fleet-arm-migrate-then-hotplug.yaml', import.meta.url), 'utf8');

const host = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  arch: 'x86_64',
  cpuVendor: 'intel',
  memory: '256GiB',
  kernel: '6.8.0',
  iommu: { model: 'intel-vtd', interruptRemapping: true, vfioBackends: ['type1v2'] },
  groups: [
    {
      id: 1,
      reservedRegions: [{ start: '0xfee00000', end: '0xfeefffff', type: 'msi' }],
      devices: [{ address: '0000:01:00.0', class: 'network', driver: 'vfio-pci' }],
    },
  ],
  ...extra,
});

const guest = (id: string, hostId: string, extra: Record<string, unknown> = {}) => ({
  id,
  host: hostId,
  machine: 'pc-q35-7.2',
  cpuVendor: 'intel',
  memory: { ram: '3GiB' },
  ...extra,
});

describe.each(backends.map((make) => [make().name, make] as const))('REST API on %s', (_name, makeBackend) => {
  let backend: TestBackend;
  let api: RunningApp;

  beforeAll(async () => {
    backend = makeBackend();
    api = await startApp(backend);
  });
  afterAll(async () => {
    await api.close();
    await backend.cleanup();
  });

  /** The whole log as the API serves it: the yardstick for "bad input changes nothing". */
  const logSnapshot = async () => JSON.stringify((await api.request('GET', '/v1/events?after=0&limit=1000')).body);

  describe('fleet file', () => {
    it('applies the example YAML and reports what changed', async () => {
      const applied = await api.request('POST', '/v1/fleet', { yaml: armExample });
      expect(applied.status).toBe(200);
      const changed = applied.body.changed.map((c: { kind: string; id: string }) => `${c.kind}:${c.id}`);
      expect(changed).toEqual(['machine-defaults:machine-defaults', 'host:host-a', 'host:host-b', 'guest:vm-1']);
      expect(applied.body.changed.find((c: { id: string }) => c.id === 'vm-1').events).toEqual([
        'GuestDefined',
        'DeviceAttached',
        'DeviceAttached',
        'HotplugReservationAdded',
        'GuestPlaced',
      ]);
    });

    it('is idempotent: applying the same file again writes nothing', async () => {
      const before = await logSnapshot();
      const again = await api.request('POST', '/v1/fleet', { yaml: armExample });
      expect(again.status).toBe(200);
      expect(again.body.changed).toEqual([]);
      expect(again.body.unchanged).toBe(4);
      expect(await logSnapshot()).toBe(before);
    });

    it('turns a changed reserved region into one event on that host only', async () => {
      const edited = armExample.replace(
        '{ start: "0x202110000", end: "0x20211ffff", type: msi }',
        '{ start: "0x202110000", end: "0x20212ffff", type: msi }',
      );
      const applied = await api.request('POST', '/v1/fleet', { yaml: edited });
      expect(applied.body.changed).toEqual([{ kind: 'host', id: 'host-b', events: ['ReservedRegionsReported'] }]);
      await api.request('POST', '/v1/fleet', { yaml: armExample });
    });

    it('records the memory map derived on the first host and serves it as hex', async () => {
      const vm = await api.request('GET', '/v1/guests/vm-1');
      expect(vm.status).toBe(200);
      expect(vm.body.host).toBe('host-a');
      const ram = vm.body.memoryMap.filter((e: { kind: string }) => e.kind === 'ram');
      expect(ram).toEqual([{ start: '0x40000000', end: '0x43fffffff', kind: 'ram', label: 'mach-virt.ram' }]);
      // max 32 GiB, 16 GiB RAM, 4 slots: 16 GiB + 4 × 1 GiB of device memory from 17 GiB.
      const deviceMemory = vm.body.memoryMap.find((e: { kind: string }) => e.kind === 'device-memory');
      expect(deviceMemory).toMatchObject({ start: '0x440000000', end: '0x93fffffff' });
      expect(vm.body.devices.find((d: { id: string }) => d.id === 'disk0').effectiveIommuPlatform).toEqual({
        value: false,
        source: 'machine-default',
        rule: 'virt-*',
      });
    });

    it('keeps the recorded map when the guest is placed on another host', async () => {
      const before = (await api.request('GET', '/v1/guests/vm-1')).body.memoryMap;
      const moved = armExample
        .replace('host: host-a                   # where', 'host: host-b  # where')
        .replace(/(guests:\n  - id: vm-1\n    host: )host-a/, '$1host-b');
      const applied = await api.request('POST', '/v1/fleet', { yaml: moved });
      expect(applied.body.changed).toEqual([{ kind: 'guest', id: 'vm-1', events: ['GuestPlaced'] }]);
      const after = (await api.request('GET', '/v1/guests/vm-1')).body;
      expect(after.host).toBe('host-b');
      expect(after.memoryMap).toEqual(before);
      await api.request('POST', '/v1/fleet', { yaml: armExample });
    });

    it('applies a JSON fleet file too, and lists hosts and guests from the read models', async () => {
      const applied = await api.request('POST', '/v1/fleet', {
        body: { hosts: [host('host-x1', { pool: 'lab' })], guests: [guest('vm-x1', 'host-x1')] },
      });
      expect(applied.status).toBe(200);
      const hosts = await api.request('GET', '/v1/hosts?pool=lab');
      expect(hosts.body.items.map((h: { id: string }) => h.id)).toEqual(['host-x1']);
      const guests = await api.request('GET', '/v1/guests?host=host-x1');
      expect(guests.body.items.map((g: { id: string }) => g.id)).toEqual(['vm-x1']);
      expect(guests.body.total).toBe(1);
    });
  });

  describe('bad input changes nothing', () => {
    const cases: Array<[string, string, string, { body?: unknown; yaml?: string }, number, string]> = [
      ['malformed YAML', 'POST', '/v1/fleet', { yaml: 'hosts:\n  - id: [unclosed\n' }, 400, '(body)'],
      ['malformed JSON', 'POST', '/v1/hosts', { body: '{"id": "h", ' }, 400, '(body)'],
      ['unknown enum value', 'POST', '/v1/hosts', { body: host('host-bad', { arch: 'sparc64' }) }, 400, 'arch'],
      [
        'address ≥ 2^64',
        'POST',
        '/v1/hosts',
        { body: host('host-bad', { bridgeWindows: [{ start: '0x0', end: '0x10000000000000000' }] }) },
        400,
        'bridgeWindows[0].end',
      ],
      [
        'address not hex',
        'POST',
        '/v1/hosts',
        { body: host('host-bad', { bridgeWindows: [{ start: '4276092928', end: '0xfeefffff' }] }) },
        400,
        'bridgeWindows[0].start',
      ],
      [
        'end below start',
        'POST',
        '/v1/hosts',
        { body: host('host-bad', { bridgeWindows: [{ start: '0x2000', end: '0x1fff' }] }) },
        400,
        'bridgeWindows[0].end',
      ],
      [
        'duplicate ids in a fleet file',
        'POST',
        '/v1/fleet',
        { body: { hosts: [host('host-dup'), host('host-dup')] } },
        400,
        'hosts[1].id',
      ],
      [
        'guest on a host that does not exist',
        'POST',
        '/v1/fleet',
        { body: { guests: [guest('vm-orphan', 'host-nowhere')] } },
        404,
        'guests[0].host',
      ],
      [
        'guest via API on a missing host',
        'POST',
        '/v1/guests',
        { body: guest('vm-orphan', 'host-nowhere') },
        404,
        'host',
      ],
      [
        'vfio device the host does not have',
        'POST',
        '/v1/guests',
        {
          body: guest('vm-nodev', 'host-a', {
            machine: 'virt-8.2',
            cpuVendor: 'arm',
            devices: [{ id: 'hba', kind: 'vfio', hostDevice: '0000:99:00.0' }],
          }),
        },
        404,
        'devices[0].hostDevice',
      ],
      [
        // host-a is aarch64 (the example): an x86_64 guest cannot be placed there.
        'guest of another architecture than its host, via API',
        'POST',
        '/v1/guests',
        { body: guest('vm-x86', 'host-a') },
        400,
        'host',
      ],
      [
        'guest of another architecture than its host, in a fleet file',
        'POST',
        '/v1/fleet',
        { body: { guests: [guest('vm-x86', 'host-a')] } },
        400,
        'guests[0].host',
      ],
      [
        // QEMU 7.2: "Address space limit 0xffffffffff < 0x2067fffffff phys-bits too low (40)".
        'guest QEMU refuses to start (phys-bits too low)',
        'POST',
        '/v1/guests',
        { body: guest('vm-huge', 'host-a', { cpuVendor: 'amd', memory: { ram: '1020GiB' } }) },
        400,
        'physBits',
      ],
      [
        'defining a guest twice',
        'POST',
        '/v1/guests',
        { body: guest('vm-1', 'host-a', { machine: 'virt-8.2', cpuVendor: 'arm' }) },
        409,
        'id',
      ],
      [
        'unknown field',
        'POST',
        '/v1/hosts',
        { body: host('host-bad', { iommu: { model: 'intel-vtd', interuptRemapping: true } }) },
        400,
        'iommu.interuptRemapping',
      ],
      [
        'prototype pollution key',
        'POST',
        '/v1/hosts',
        { body: '{"id":"host-bad","__proto__":{"polluted":true}}' },
        400,
        '__proto__',
      ],
    ];

    it.each(cases)('%s → %i naming the field, log untouched', async (_label, method, path, options, status, field) => {
      const before = await logSnapshot();
      const response = await api.request(method, path, options);
      expect(response.status).toBe(status);
      expect(response.body.problems.map((p: { field: string }) => p.field)).toContain(field);
      expect(await logSnapshot()).toBe(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('rejects a half-bad fleet file whole: the good host in it is not registered', async () => {
      const before = await logSnapshot();
      const response = await api.request('POST', '/v1/fleet', {
        body: { hosts: [host('host-good')], guests: [guest('vm-bad', 'host-missing')] },
      });
      expect(response.status).toBe(404);
      expect((await api.request('GET', '/v1/hosts/host-good')).status).toBe(404);
      expect(await logSnapshot()).toBe(before);
    });
  });

  describe('versions and retries', () => {
    it('serves an ETag and maps If-Match to the expected version (412 when stale)', async () => {
      await api.request('POST', '/v1/hosts', { body: host('host-etag') });
      const read = await api.request('GET', '/v1/hosts/host-etag');
      const etag = read.headers.get('etag')!;
      expect(etag).toBe('"1"');
      const ok = await api.request('PATCH', '/v1/hosts/host-etag', {
        body: { kernel: '6.9.0' },
        headers: { 'if-match': etag },
      });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('etag')).toBe('"2"');
      const stale = await api.request('PATCH', '/v1/hosts/host-etag', {
        body: { kernel: '6.10.0' },
        headers: { 'if-match': etag },
      });
      expect(stale.status).toBe(412);
      expect((await api.request('GET', '/v1/hosts/host-etag')).body.kernel).toBe('6.9.0');
    });

    it('lets one of 20 concurrent PATCHes with the same If-Match win', async () => {
      await api.request('POST', '/v1/hosts', { body: host('host-race') });
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          api.request('PATCH', '/v1/hosts/host-race', { body: { kernel: `6.${i}.1` }, headers: { 'if-match': '"1"' } }),
        ),
      );
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 412)).toHaveLength(19);
      const stream = await api.request('GET', '/v1/streams/host-host-race');
      expect(stream.body.events.map((e: { streamVersion: number }) => e.streamVersion)).toEqual([1, 2]);
    });

    it('answers a retried POST with the same Idempotency-Key from the first answer, writing nothing', async () => {
      const headers = { 'idempotency-key': 'define-vm-idem-1' };
      const first = await api.request('POST', '/v1/guests', { body: guest('vm-idem', 'host-etag'), headers });
      expect(first.status).toBe(201);
      const before = await logSnapshot();
      const retries = await Promise.all(
        [1, 2, 3].map(() => api.request('POST', '/v1/guests', { body: guest('vm-idem', 'host-etag'), headers })),
      );
      for (const retry of retries) {
        expect(retry.status).toBe(201);
        expect(retry.headers.get('idempotent-replayed')).toBe('true');
        expect(retry.body).toEqual(first.body);
      }
      expect(await logSnapshot()).toBe(before);
      const reused = await api.request('POST', '/v1/guests', { body: guest('vm-other', 'host-etag'), headers });
      expect(reused.status).toBe(422);
      expect(await logSnapshot()).toBe(before);
    });

    it('records actor, correlation id and idempotency key in event metadata', async () => {
      await api.request('POST', '/v1/hosts/host-etag/cordon', {
        body: { reason: 'firmware update' },
        headers: { 'x-correlation-id': 'change-4711', 'idempotency-key': 'cordon-1' },
      });
      const stream = await api.request('GET', '/v1/streams/host-host-etag');
      const cordoned = stream.body.events.at(-1);
      expect(cordoned.type).toBe('HostCordoned');
      expect(cordoned.metadata).toMatchObject({
        actor: expect.stringMatching(/^token:[0-9a-f-]{36}$/),
        correlationId: 'change-4711',
        idempotencyKey: 'cordon-1',
      });
      expect((await api.request('GET', '/v1/hosts/host-etag')).body).toMatchObject({
        cordoned: true,
        cordonReason: 'firmware update',
      });
    });
  });

  describe('devices, policies, reservations, history', () => {
    it('attaches, sets a device policy, reserves, detaches — and shows the guest as of any event', async () => {
      await api.request('POST', '/v1/guests', { body: guest('vm-life', 'host-etag') });
      const attached = await api.request('POST', '/v1/guests/vm-life/devices', {
        body: { id: 'net9', kind: 'virtio-net' },
      });
      expect(attached.status).toBe(201);
      const positionAfterAttach = (await api.request('GET', '/v1/streams/guest-vm-life')).body.events.at(-1).position;
      const policy = await api.request('PUT', '/v1/guests/vm-life/devices/net9/iommu-policy', {
        body: { iommuPlatform: true },
      });
      expect(policy.body.devices[0].effectiveIommuPlatform).toEqual({ value: true, source: 'device' });
      const reserved = await api.request('POST', '/v1/guests/vm-life/hotplug-reservations', {
        body: { kind: 'vfio', deviceClass: 'gpu' },
      });
      expect(reserved.body.hotplugReservations).toEqual([{ id: 'vfio-gpu-1', kind: 'vfio', deviceClass: 'gpu' }]);
      expect((await api.request('DELETE', '/v1/guests/vm-life/hotplug-reservations/vfio-gpu-1')).status).toBe(200);
      expect((await api.request('DELETE', '/v1/guests/vm-life/devices/net9')).body.devices).toEqual([]);
      const past = await api.request('GET', `/v1/guests/vm-life?asOf=${positionAfterAttach}`);
      expect(past.body.devices.map((d: { id: string; iommuPlatform?: boolean }) => [d.id, d.iommuPlatform])).toEqual([
        ['net9', undefined],
      ]);
      expect((await api.request('GET', '/v1/guests/vm-life?asOf=abc')).status).toBe(400);
    });

    it('pages through the log in commit order', async () => {
      const first = await api.request('GET', '/v1/events?after=0&limit=3');
      expect(first.body.events).toHaveLength(3);
      const second = await api.request('GET', `/v1/events?after=${first.body.next}&limit=3`);
      expect(second.body.events[0].position).toBeGreaterThan(first.body.next);
    });

    it('returns 404 for unknown hosts, guests and routes', async () => {
      expect((await api.request('GET', '/v1/hosts/nope')).status).toBe(404);
      expect((await api.request('GET', '/v1/guests/nope')).status).toBe(404);
      expect(
        (await api.request('POST', '/v1/guests/nope/devices', { body: { id: 'x', kind: 'virtio-net' } })).status,
      ).toBe(404);
      expect((await api.request('GET', '/v1/nothing-here')).status).toBe(404);
    });
  });

  it('serves health and the OpenAPI document', async () => {
    expect((await api.request('GET', '/health')).body).toMatchObject({ status: 'ok', database: { status: 'up' } });
    const doc = await api.request('GET', '/docs/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toContain('/v1/fleet');
    expect(doc.body.components.schemas.Host.properties.iommu).toBeDefined();
  });
});

describe('restart on the SQLite file', () => {
  it('serves the same state after the service restarts', async () => {
    const backend = backends[0]!();
    const first = await startApp(backend);
    await first.request('POST', '/v1/fleet', { yaml: armExample });
    const before = (await first.request('GET', '/v1/guests/vm-1')).body;
    await first.close();
    const second = await startApp(backend);
    expect((await second.request('GET', '/v1/guests/vm-1')).body).toEqual(before);
    expect((await second.request('GET', '/v1/hosts')).body.total).toBe(2);
    await second.close();
    await backend.cleanup();
  });
});

describe('live event stream', () => {
  it('pushes new events over Server-Sent Events, filtered by stream prefix, resuming after a position', async () => {
    const backend = backends[0]!();
    const api = await startApp(backend);
    const controller = new AbortController();
    const response = await fetch(`${api.url}/v1/stream?streams=host-`, {
      signal: controller.signal,
      headers: { authorization: `Bearer ${api.token}` },
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    const received: string[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      while (received.length < 2) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (const match of buffer.matchAll(/event: (\w+)\ndata: (.*)\n/g))
          received.push(`${match[1]}:${JSON.parse(match[2]!).streamId}`);
        buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
      }
    })();
    await api.request('POST', '/v1/hosts', { body: host('host-live') });
    await api.request('POST', '/v1/guests', { body: guest('vm-live', 'host-live') });
    await api.request('POST', '/v1/hosts/host-live/cordon', { body: {} });
    await reading;
    controller.abort();
    expect(received).toEqual(['HostRegistered:host-host-live', 'HostCordoned:host-host-live']);
    const resumed = await fetch(`${api.url}/v1/stream?after=0&access_token=${api.token}`, {
      signal: AbortSignal.timeout(500),
    }).then(async (r) => {
      const text = await r.body!.getReader().read();
      return new TextDecoder().decode(text.value);
    });
    expect(resumed).toMatch(/connected at position 0/);
    await api.close();
    await backend.cleanup();
  });
});

describe('If-Match and Idempotency-Key on every write', () => {
  let backend: TestBackend;
  let api: RunningApp;
  const count = async () => (await api.request('GET', '/v1/events?limit=1')).body.lastPosition as number;

  beforeAll(async () => {
    backend = appBackend();
    // No workers: migrations stay pending, so cancelling them is deterministic.
    api = await startApp(backend, { runWorkers: false });
    const fleet = { hosts: [host('h1', { pool: 'p' }), host('h2', { pool: 'p' })], guests: [guest('g1', 'h1')] };
    expect((await api.request('POST', '/v1/fleet', { body: fleet })).status).toBe(200);
  });
  afterAll(async () => {
    await api.close();
    await backend.cleanup();
  });

  it('POST /v1/fleet refuses If-Match with a 400 naming it (a fleet file has no one version), writing nothing', async () => {
    const before = await count();
    const response = await api.request('POST', '/v1/fleet', {
      headers: { 'if-match': '"1"' },
      body: { hosts: [host('h3')] },
    });
    expect(response.status).toBe(400);
    expect(response.body.problems.map((p: { field: string }) => p.field)).toEqual(['If-Match']);
    expect(await count()).toBe(before);
  });

  it('the pool-policy PUT honours If-Match (a version or *) and Idempotency-Key', async () => {
    const unset = await api.request('PUT', '/v1/pools/p/migration-policy', {
      headers: { 'if-match': '*' },
      body: { policy: { downtimeLimitMs: 500 } },
    });
    expect(unset.status).toBe(412);
    const headers = { 'idempotency-key': 'pool-p-1' };
    const first = await api.request('PUT', '/v1/pools/p/migration-policy', {
      headers,
      body: { policy: { downtimeLimitMs: 500 } },
    });
    const before = await count();
    const retry = await api.request('PUT', '/v1/pools/p/migration-policy', {
      headers,
      body: { policy: { downtimeLimitMs: 500 } },
    });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(await count()).toBe(before);
    const stale = await api.request('PUT', '/v1/pools/p/migration-policy', {
      headers: { 'if-match': '"0"' },
      body: { policy: { downtimeLimitMs: 700 } },
    });
    expect(stale.status).toBe(412);
    const current = await api.request('PUT', '/v1/pools/p/migration-policy', {
      headers: { 'if-match': first.headers.get('etag')! },
      body: { policy: { downtimeLimitMs: 700 } },
    });
    expect(current.status).toBe(200);
    expect(current.headers.get('etag')).toBe('"2"');
  });

  it('cancelling a migration honours If-Match and Idempotency-Key', async () => {
    const submitted = await api.request('POST', '/v1/migrations', { body: { guestId: 'g1', destinationHostId: 'h2' } });
    expect(submitted.status).toBe(202);
    const cancel = (headers: Record<string, string>) =>
      api.request('POST', `/v1/migrations/${submitted.body.id}/cancel`, { headers });
    expect((await cancel({ 'if-match': '"7"' })).status).toBe(412);
    const first = await cancel({ 'idempotency-key': 'cancel-1', 'if-match': submitted.headers.get('etag') ?? '"1"' });
    expect(first.status).toBe(200);
    expect(first.body.state).toBe('cancelled');
    const retry = await cancel({ 'idempotency-key': 'cancel-1', 'if-match': submitted.headers.get('etag') ?? '"1"' });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect((await cancel({})).status).toBe(409);
  });

  it.each([
    ['POST', '/v1/migrations', { guestId: 'g1', destinationHostId: 'h2' }],
    ['POST', '/v1/hotplugs', { guestId: 'g1', device: { id: 'n9', kind: 'virtio-net' } }],
    ['POST', '/v1/tokens', { name: 'if-match-probe', role: 'viewer' }],
  ])('%s %s refuses If-Match (it creates a stream) with a 400 naming it', async (method, path, body) => {
    const before = await count();
    const response = await api.request(method, path, { headers: { 'if-match': '"3"' }, body });
    expect(response.status).toBe(400);
    expect(response.body.problems.map((p: { field: string }) => p.field)).toEqual(['If-Match']);
    expect(await count()).toBe(before);
  });
});
