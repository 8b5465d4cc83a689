// Host agents through the API: reports that write only differences, placements idempotent with
// Ferry's own, heartbeats and the unreachable transition, and the migration gate the libvirt hook asks.
// The reports are built exactly as `ferry-agent` builds them (its report module, the real importers).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, readHostFacts } from '../apps/agent/src/report.js';
import { appBackend, type TestBackend } from './support/backends.js';
import { startApp, type RunningApp } from './support/app.js';
import { CLEAN_X86_TREE, conflictingHostTree, domainXml, setRmrr } from './support/host-trees.js';

const UUID = '3c9e4a52-8d0f-4f0e-9a43-6a1d2b7c9e01';

function report(root: string, uri: string, domains: { name: string; uuid: string }[]) {
  const facts = readHostFacts(root, { uri });
  expect(facts.facts, facts.problems.join('\n')).toBeDefined();
  return buildReport(
    facts.facts!,
    facts.cpuVendor,
    domains.map((d) => ({ uuid: d.uuid, xml: domainXml(d.name, d.uuid) })),
  ).body;
}

describe('host agents through the API', () => {
  let backend: TestBackend;
  let api: RunningApp;
  let agentA = '';
  let agentB = '';
  let treeB = '';

  const lastPosition = async () => (await api.request('GET', '/v1/events?after=0&limit=1')).body.lastPosition;
  const put = (host: string, token: string, body: unknown) =>
    api.request('PUT', `/v1/hosts/${host}/agent-report`, { token, body });
  const tokenId = async (name: string) =>
    (await api.request('GET', '/v1/tokens')).body.items.find((t: { name: string }) => t.name === name).id as string;
  const issueAgent = async (name: string, hosts: string[]) =>
    (await api.request('POST', '/v1/tokens', { body: { name, role: 'agent', hosts } })).body.token as string;

  beforeAll(async () => {
    backend = appBackend();
    api = await startApp(backend, { agentTimeoutMs: 600_000 });
    agentA = await issueAgent('agent-a', ['host-a']);
    agentB = await issueAgent('agent-b', ['host-b']);
    treeB = conflictingHostTree(join(mkdtempSync(join(tmpdir(), 'ferry-agent-api-')), 'host-b'));
  });
  afterAll(async () => {
    await api.close();
    await backend.cleanup();
    rmSync(join(treeB, '..'), { recursive: true, force: true });
  });

  it('brings a host and its running domain into Ferry with no fleet file; the same report again writes nothing', async () => {
    const body = report(CLEAN_X86_TREE, 'qemu+tcp://10.0.0.1/system', [{ name: 'web-1', uuid: UUID }]);
    const first = await put('host-a', agentA, body);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.changed.map((c: { kind: string; id: string }) => `${c.kind}:${c.id}`)).toEqual([
      'host:host-a',
      'guest:web-1',
    ]);
    const host = await api.request('GET', '/v1/hosts/host-a');
    expect(host.body.libvirt).toEqual({ uri: 'qemu+tcp://10.0.0.1/system' });
    expect(host.body.iommu.model).toBe('amd-vi');
    const guest = await api.request('GET', '/v1/guests/web-1');
    expect(guest.body).toMatchObject({ host: 'host-a', libvirt: { uuid: UUID, name: 'web-1' }, cpuVendor: 'amd' });
    const mapped = await api.request('GET', '/v1/streams/guest-web-1');
    expect(mapped.body.events.map((e: { type: string }) => e.type)).toContain('GuestDomainMapped');

    const before = await lastPosition();
    const again = await put('host-a', agentA, body);
    expect(again.body.eventsWritten).toBe(0);
    expect(await lastPosition()).toBe(before);
  });

  it('keeps what only the operator knows (hot-plug reservations) across reports', async () => {
    const added = await api.request('POST', '/v1/guests/web-1/hotplug-reservations', {
      body: { kind: 'vfio', deviceClass: 'network' },
    });
    expect(added.status).toBe(201);
    const again = await put(
      'host-a',
      agentA,
      report(CLEAN_X86_TREE, 'qemu+tcp://10.0.0.1/system', [{ name: 'web-1', uuid: UUID }]),
    );
    expect(again.body.eventsWritten).toBe(0);
    expect((await api.request('GET', '/v1/guests/web-1')).body.hotplugReservations).toHaveLength(1);
  });

  it('refuses an agent report for a host its token is not bound to, and a malformed one, writing nothing', async () => {
    const before = await lastPosition();
    const body = report(CLEAN_X86_TREE, 'qemu+tcp://10.0.0.1/system', []);
    expect((await put('host-a', agentB, body)).status).toBe(403);
    const bad = await put('host-a', agentA, { facts: { ...body.facts, memory: 'lots' }, domains: [] });
    expect(bad.status).toBe(400);
    expect(bad.body.problems[0].field).toBe('facts.memory');
    const badUri = await put('host-a', agentA, {
      facts: { ...body.facts, libvirt: { uri: 'qemu+tcp://root:hunter2@h/system' } },
      domains: [],
    });
    expect(badUri.status).toBe(400);
    expect(badUri.body.problems[0].field).toBe('facts.libvirt.uri');
    expect(await lastPosition()).toBe(before);
  });

  it('gates a migration to a host whose reserved regions break the guest’s hot-plug reservation, and records it', async () => {
    expect((await put('host-b', agentB, report(treeB, 'qemu+tcp://10.0.0.2/system', []))).status).toBe(200);
    const refused = await api.request('POST', '/v1/hosts/host-b/migration-gate', {
      token: agentB,
      body: { domain: { uuid: UUID, name: 'web-1' } },
    });
    expect(refused.status).toBe(200);
    expect(refused.body.decision).toBe('refused');
    expect(refused.body.startedBy).toBeNull();
    expect(refused.body.message).toContain('0x80fffff');
    expect(refused.body.message).toMatch(/RESV_|RMRR|reserved/);
    const gates = await api.request('GET', '/v1/streams/gate-host-b');
    expect(gates.body.events.at(-1)).toMatchObject({
      type: 'MigrationGated',
      data: { decision: 'refused', guestId: 'web-1', hostId: 'host-b' },
      metadata: { actor: `token:${await tokenId('agent-b')}` },
    });

    const unknown = await api.request('POST', '/v1/hosts/host-b/migration-gate', {
      token: agentB,
      body: { domain: { uuid: '00000000-0000-4000-8000-000000000000' } },
    });
    expect(unknown.body.decision).toBe('allowed');
    expect(unknown.body.reason).toContain('no guest mapped');
  });

  it('moves the guest when its domain runs on another host, once: after the RMRR is gone the gate allows it', async () => {
    setRmrr(treeB, false);
    const facts = await put('host-b', agentB, report(treeB, 'qemu+tcp://10.0.0.2/system', []));
    expect(facts.body.changed[0].events).toContain('ReservedRegionsReported');
    const allowed = await api.request('POST', '/v1/hosts/host-b/migration-gate', {
      token: agentB,
      body: { domain: { uuid: UUID, name: 'web-1' } },
    });
    expect(allowed.body.decision, allowed.body.message).toBe('allowed');

    const moved = await put(
      'host-b',
      agentB,
      report(treeB, 'qemu+tcp://10.0.0.2/system', [{ name: 'web-1', uuid: UUID }]),
    );
    expect(moved.body.changed).toEqual([{ kind: 'guest', id: 'web-1', events: ['GuestPlaced'] }]);
    expect((await api.request('GET', '/v1/guests/web-1')).body.host).toBe('host-b');
    // host-a's agent no longer sees it: nothing to record there; host-b's repeat records nothing.
    const before = await lastPosition();
    await put('host-a', agentA, report(CLEAN_X86_TREE, 'qemu+tcp://10.0.0.1/system', []));
    await put('host-b', agentB, report(treeB, 'qemu+tcp://10.0.0.2/system', [{ name: 'web-1', uuid: UUID }]));
    expect(await lastPosition()).toBe(before);
  });
});

describe('agent heartbeats', () => {
  let backend: TestBackend;
  let api: RunningApp;
  let agentA = '';
  let agentB = '';

  beforeAll(async () => {
    backend = appBackend();
    // A host is unreachable after 0.8 s without a heartbeat.
    api = await startApp(backend, { agentTimeoutMs: 800 });
    const issueAgent = async (name: string, hosts: string[]) =>
      (await api.request('POST', '/v1/tokens', { body: { name, role: 'agent', hosts } })).body.token as string;
    agentA = await issueAgent('agent-a', ['host-a']);
    agentB = await issueAgent('agent-b', ['host-b']);
    const uuid = UUID;
    const put = (host: string, token: string, body: unknown) =>
      api.request('PUT', `/v1/hosts/${host}/agent-report`, { token, body });
    await put('host-b', agentB, report(CLEAN_X86_TREE, 'qemu+tcp://10.0.0.2/system', [{ name: 'web-1', uuid }]));
  });
  afterAll(async () => {
    await api.close();
    await backend.cleanup();
  });

  const put = (host: string, token: string, body: unknown) =>
    api.request('PUT', `/v1/hosts/${host}/agent-report`, { token, body });

  it('marks a silent host unreachable once, refuses it as a destination with the reason, and takes it back on a heartbeat', async () => {
    // host-b's agent keeps beating; host-a's falls silent beyond the 0.8 s limit.
    let beating: Promise<unknown> = Promise.resolve();
    const keepB = setInterval(() => {
      beating = api.request('POST', '/v1/hosts/host-b/heartbeat', { token: agentB, body: {} });
    }, 200);
    try {
      await put('host-a', agentA, report(CLEAN_X86_TREE, 'qemu+tcp://10.0.0.1/system', []));
      const deadline = Date.now() + 10_000;
      let hostA = await api.request('GET', '/v1/hosts/host-a');
      while (hostA.body.reachable !== false && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        hostA = await api.request('GET', '/v1/hosts/host-a');
      }
      expect(hostA.body.reachable).toBe(false);
      expect(hostA.body.unreachableReason).toMatch(/agent agent-a silent for \d+ s/);
      expect((await api.request('GET', '/v1/hosts/host-b')).body.reachable).toBe(true);

      await new Promise((r) => setTimeout(r, 1000)); // more checks while still silent: no second event
      const stream = await api.request('GET', '/v1/streams/host-host-a');
      expect(stream.body.events.filter((e: { type: string }) => e.type === 'HostUnreachable')).toHaveLength(1);

      const plan = await api.request('POST', '/v1/plans/migration', {
        body: { guestId: 'web-1', destinationHostId: 'host-a' },
      });
      expect(plan.body.verdict).toBe('blocked');
      const notSchedulable = plan.body.conflicts.find((c: { code: string }) => c.code === 'HOST_NOT_SCHEDULABLE');
      expect(notSchedulable.message).toContain('unreachable: agent agent-a silent');
      const destinations = await api.request('GET', '/v1/guests/web-1/destinations');
      expect(JSON.stringify(destinations.body)).toContain('unreachable');

      const beat = await api.request('POST', '/v1/hosts/host-a/heartbeat', { token: agentA, body: {} });
      expect(beat.body.eventsWritten).toBe(1);
      expect((await api.request('GET', '/v1/hosts/host-a')).body.reachable).toBe(true);
      const again = await api.request('POST', '/v1/hosts/host-a/heartbeat', { token: agentA, body: {} });
      expect(again.body.eventsWritten).toBe(0);
    } finally {
      clearInterval(keepB);
      await beating;
    }
  });
});
