// The libvirt backend's answers that need no libvirt: a migration or hot-plug that cannot reach a
// libvirt domain fails at once, naming the missing fact, and the guest stays where it was.
// (The real migrations are in test/libvirt-backend.slow.spec.ts, on the two-host lab.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from './support/app.js';
import { appBackend, type TestBackend } from './support/backends.js';

const host = (id: string, libvirt?: { uri: string }) => ({
  id,
  pool: 'rack',
  arch: 'aarch64',
  cpuVendor: 'arm',
  memory: '1TiB',
  kernel: '6.8.0',
  iommu: { model: 'arm-smmuv3', addressWidthBits: 48, interruptRemapping: true, vfioBackends: ['type1v2'] },
  ...(libvirt ? { libvirt } : {}),
});
const guest = (id: string, onHost: string, libvirt?: { uuid: string }) => ({
  id,
  host: onHost,
  machine: 'virt-8.2',
  cpuVendor: 'arm',
  memory: { ram: '4GiB' },
  ...(libvirt ? { libvirt } : {}),
});
const TERMINAL = ['completed', 'failed', 'cancelled', 'rejected'];

describe('the libvirt backend without a reachable domain', () => {
  let backend: TestBackend;
  let api: RunningApp;

  const finished = async (path: string) => {
    for (let i = 0; i < 200; i++) {
      const body = (await api.request('GET', path)).body;
      if (TERMINAL.includes(body.state)) return body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${path} did not finish`);
  };

  beforeAll(async () => {
    backend = appBackend();
    api = await startApp(backend);
    const applied = await api.request('POST', '/v1/fleet', {
      body: {
        hosts: [
          host('lv-a', { uri: 'qemu+tcp://127.0.0.1:9/system' }),
          host('lv-b', { uri: 'qemu+tcp://127.0.0.1:9/system' }),
          host('plain-c'),
        ],
        guests: [guest('unmapped', 'lv-a'), guest('mapped', 'lv-a', { uuid: '6f0c2f51-3a5e-4c8e-9a55-0c6b3c1e2a10' })],
      },
    });
    expect(applied.status).toBe(200);
  });

  afterAll(async () => {
    await api.close();
    await backend.cleanup();
  });

  it('fails a migration of a guest with no libvirt domain, saying so; the guest stays', async () => {
    const requested = await api.request('POST', '/v1/migrations', {
      body: { guestId: 'unmapped', destinationHostId: 'lv-b', backend: 'libvirt' },
    });
    expect(requested.status).toBe(202);
    const done = await finished(`/v1/migrations/${requested.body.id}`);
    expect(done.state).toBe('failed');
    expect(done.outcome).toBe('guest unmapped is not mapped to a libvirt domain (no domain UUID recorded)');
    expect((await api.request('GET', '/v1/guests/unmapped')).body.host).toBe('lv-a');
  });

  it('fails a migration towards a host with no libvirt URI, naming the host', async () => {
    const requested = await api.request('POST', '/v1/migrations', {
      body: { guestId: 'mapped', destinationHostId: 'plain-c', backend: 'libvirt' },
    });
    expect(requested.status).toBe(202);
    const done = await finished(`/v1/migrations/${requested.body.id}`);
    expect(done.state).toBe('failed');
    expect(done.outcome).toBe('host plain-c has no libvirt URI (hosts[].libvirt)');
  });

  it('records libvirt’s own words when the source host’s libvirt cannot be reached', async () => {
    const requested = await api.request('POST', '/v1/migrations', {
      body: { guestId: 'mapped', destinationHostId: 'lv-b', backend: 'libvirt' },
    });
    const done = await finished(`/v1/migrations/${requested.body.id}`);
    expect(done.state).toBe('failed');
    // virsh could not connect to 127.0.0.1:9: libvirt's message, verbatim.
    expect(done.outcome).toContain("unable to connect to server at '127.0.0.1:9'");
    expect((await api.request('GET', '/v1/guests/mapped')).body.host).toBe('lv-a');
  });

  it('refuses an unknown backend with a 400 naming the field, and writes nothing', async () => {
    const before = (await api.request('GET', '/v1/events?after=0&limit=1')).body.lastPosition;
    const refused = await api.request('POST', '/v1/migrations', {
      body: { guestId: 'mapped', destinationHostId: 'lv-b', backend: 'libvirtd' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.problems[0].field).toBe('backend');
    expect((await api.request('GET', '/v1/events?after=0&limit=1')).body.lastPosition).toBe(before);
  });
});
