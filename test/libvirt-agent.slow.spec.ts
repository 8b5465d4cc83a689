// ferry-agent and the libvirt hook gate on the two-host lab: real libvirt daemons, a real TCG guest,
// agents as their own processes, the hook run by libvirtd itself on the destination.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alive,
  freePort,
  libvirtLabUnavailable,
  startLab,
  type Lab,
  type LabGuest,
  type LabHost,
} from './support/libvirt-lab.js';
import { appBackend, type TestBackend } from './support/backends.js';
import { startApp, type RunningApp } from './support/app.js';
import { CLEAN_X86_TREE, conflictingHostTree, setRmrr } from './support/host-trees.js';

const UNAVAILABLE = libvirtLabUnavailable();
/** The API marks a host unreachable after this long without a heartbeat. */
const AGENT_TIMEOUT_MS = 3000;
const FACT_EVENTS = [
  'HostRegistered',
  'HostIommuReported',
  'IommuGroupsReported',
  'ReservedRegionsReported',
  'BridgeWindowsReported',
  'HostAttributesChanged',
];

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(UNAVAILABLE)(
  UNAVAILABLE ? `ferry-agent on the libvirt lab [skipped: ${UNAVAILABLE}]` : 'ferry-agent on the libvirt lab',
  () => {
    let lab: Lab | undefined;
    let backend: TestBackend;
    let api: RunningApp;
    let dir: string;
    let a: LabHost;
    let b: LabHost;
    let guest: LabGuest;
    let treeA: string;
    let treeB: string;
    let port: number;
    const agents = new Map<string, ChildProcess>();
    const tokenFiles: Record<string, string> = {};

    const startAgent = (host: LabHost, root: string) => {
      const child = spawn(
        process.execPath,
        [
          'apps/agent/dist/main.js',
          '--api',
          api.url,
          '--token-file',
          tokenFiles[host.name]!,
          '--host',
          host.name,
          '--libvirt',
          host.uri,
          '--root',
          root,
          '--heartbeat',
          '500ms',
          '--resync',
          '3s',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FERRY_LOG: '' } },
      );
      const output: string[] = [];
      child.stdout!.on('data', (c) => output.push(String(c)));
      child.stderr!.on('data', (c) => output.push(String(c)));
      (child as ChildProcess & { output: string[] }).output = output;
      agents.set(host.name, child);
      return child;
    };
    const lastPosition = async () =>
      (await api.request('GET', '/v1/events?after=0&limit=1')).body.lastPosition as number;
    const stream = async (id: string) =>
      (await api.request('GET', `/v1/streams/${id}`)).body.events as { type: string; data: any; recordedAt: string }[];

    beforeAll(async () => {
      // The agent and the hook run compiled, as deployed (FERRY_LAB_PREBUILT=1: dist is already fresh).
      if (!process.env.FERRY_LAB_PREBUILT)
        execFileSync('npx', ['tsc', '-b', 'apps/agent', 'apps/cli'], { stdio: 'inherit' });
      dir = mkdtempSync(join(tmpdir(), 'ferry-agent-lab-'));
      treeA = join(dir, 'host-a-root');
      cpSync(CLEAN_X86_TREE, treeA, { recursive: true, verbatimSymlinks: true });
      treeB = conflictingHostTree(join(dir, 'host-b-root'));
      backend = appBackend();
      port = await freePort(); // fixed, so the API can come back where the agents look for it
      api = await startApp(backend, { agentTimeoutMs: AGENT_TIMEOUT_MS, port });
      lab = await startLab({ hosts: 2 });
      [a, b] = lab.hosts as [LabHost, LabHost];
      for (const host of [a, b]) {
        const issued = await api.request('POST', '/v1/tokens', {
          body: { name: `agent-${host.name}`, role: 'agent', hosts: [host.name] },
        });
        tokenFiles[host.name] = join(dir, `${host.name}.token`);
        writeFileSync(tokenFiles[host.name]!, issued.body.token, { mode: 0o600 });
      }
      guest = await lab.defineTestGuest(a, { name: 'vm-1', workingSetMiB: 16, pagesPerSecond: 500 });
      startAgent(a, treeA);
      startAgent(b, treeB);
    }, 300_000);

    afterAll(async () => {
      for (const child of agents.values()) if (child.pid && alive(child.pid)) process.kill(child.pid, 'SIGKILL');
      await lab?.teardown();
      await api?.close();
      await backend?.cleanup();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const guestId = () => guest.name.toLowerCase().replace(/[^a-z0-9-]/g, '-');

    it('brings both hosts and the running domain into Ferry with no fleet file; a second sync writes nothing', async () => {
      const found = await until('the guest in Ferry', async () => {
        const g = await api.request('GET', `/v1/guests/${guestId()}`);
        return g.status === 200 && g.body;
      });
      expect(found).toMatchObject({ host: a.name, libvirt: { uuid: guest.uuid, name: guest.name } });
      for (const host of [a, b]) {
        const view = await until(`host ${host.name}`, async () => {
          const h = await api.request('GET', `/v1/hosts/${host.name}`);
          return h.status === 200 && h.body;
        });
        expect(view).toMatchObject({ reachable: true, libvirt: { uri: host.uri }, iommu: { model: 'amd-vi' } });
      }
      // Several heartbeats and at least one full re-sync (3 s) later: not one event more.
      const before = await lastPosition();
      await new Promise((r) => setTimeout(r, 4000));
      expect(await lastPosition()).toBe(before);
    });

    it('refuses a virsh migration towards a host where Ferry sees a blocking conflict, with Ferry’s message', async () => {
      const reserved = await api.request('POST', `/v1/guests/${guestId()}/hotplug-reservations`, {
        body: { kind: 'vfio', deviceClass: 'network' },
      });
      expect(reserved.status).toBe(201);
      execFileSync(process.execPath, [
        'apps/cli/dist/main.js',
        'hook',
        'install',
        '--host',
        b.name,
        '--token-file',
        tokenFiles[b.name]!,
        '--failure-mode',
        'fail-closed',
        '--api',
        api.url,
        '--hooks-dir',
        join(b.configDir, 'hooks'),
      ]);
      // Idempotent: the same settings change nothing.
      const again = execFileSync(process.execPath, [
        'apps/cli/dist/main.js',
        'hook',
        'install',
        '--host',
        b.name,
        '--token-file',
        tokenFiles[b.name]!,
        '--failure-mode',
        'fail-closed',
        '--api',
        api.url,
        '--hooks-dir',
        join(b.configDir, 'hooks'),
      ]).toString();
      expect(again).toContain('nothing changed');
      await b.restartLibvirtd();

      const started = Date.now();
      const refusal = await a
        .virsh('migrate', '--live', '--p2p', '--persistent', '--undefinesource', guest.name, b.uri)
        .then(
          () => undefined,
          (error: Error) => error.message,
        );
      const tookMs = Date.now() - started;
      expect(refusal).toBeDefined();
      expect(refusal).toContain('Ferry refuses to migrate guest');
      expect(refusal).toContain('0x80fffff');
      expect(tookMs).toBeLessThan(30_000);
      expect((await a.virsh('domstate', guest.name)).trim()).toBe('running');
      const gated = (await stream(`gate-${b.name}`)).at(-1)!;
      expect(gated).toMatchObject({
        type: 'MigrationGated',
        data: { decision: 'refused', guestId: guestId(), startedBy: null },
      });
      expect((await api.request('GET', `/v1/guests/${guestId()}`)).body.host).toBe(a.name);
    });

    it('lets it through towards a clean host, and the agent records the new placement within seconds', async () => {
      setRmrr(treeB, false); // B's firmware no longer reserves the range: the next re-sync reports it
      await until('host B reported without the reserved range', async () =>
        (await stream(`host-${b.name}`)).some((e) => e.type === 'ReservedRegionsReported'),
      );
      await a.virsh('migrate', '--live', '--p2p', '--persistent', '--undefinesource', guest.name, b.uri);
      const migratedAt = Date.now();
      expect((await b.virsh('domstate', guest.name)).trim()).toBe('running');
      const placed = await until(
        'the guest placed on B',
        async () => {
          const events = await stream(`guest-${guestId()}`);
          return events.find((e) => e.type === 'GuestPlaced' && e.data.hostId === b.name);
        },
        15_000,
      );
      const latency = Date.parse(placed.recordedAt) - migratedAt;
      expect(latency).toBeLessThan(10_000);
      const gated = (await stream(`gate-${b.name}`)).at(-1)!;
      expect(gated.data.decision).toBe('allowed');
      // A second look from either agent changes nothing.
      const before = await lastPosition();
      await new Promise((r) => setTimeout(r, 3500));
      expect(await lastPosition()).toBe(before);
    });

    it('marks a host unreachable when its agent is killed, and reachable again when it returns, with no duplicate facts', async () => {
      const history = await stream(`host-${b.name}`);
      const factsBefore = history.filter((e) => FACT_EVENTS.includes(e.type)).length;
      // (B may already have been unreachable for a moment: its libvirtd restarted with the hook.)
      const count = (events: { type: string }[], type: string) => events.filter((e) => e.type === type).length;
      const downBefore = count(history, 'HostUnreachable');
      const upBefore = count(history, 'HostReachable');
      const agentB = agents.get(b.name)!;
      process.kill(agentB.pid!, 'SIGKILL');
      const killedAt = Date.now();
      const down = await until(
        'host B unreachable',
        async () => {
          const h = await api.request('GET', `/v1/hosts/${b.name}`);
          return h.body.reachable === false && h.body;
        },
        AGENT_TIMEOUT_MS + 10_000,
      );
      // Not before the limit after its last heartbeat (which came a pass or so before the kill), and soon after.
      const marked = (await stream(`host-${b.name}`)).filter((e) => e.type === 'HostUnreachable').at(-1)!;
      expect(Date.parse(marked.recordedAt) - Date.parse(marked.data.lastSeenAt)).toBeGreaterThanOrEqual(
        AGENT_TIMEOUT_MS,
      );
      expect(Date.now() - killedAt).toBeLessThan(AGENT_TIMEOUT_MS + 5000);
      expect(down.unreachableReason).toContain(`agent agent-${b.name} silent`);
      const hosts = await api.request('GET', '/v1/hosts');
      expect(hosts.body.items.find((h: { id: string }) => h.id === a.name).reachable).toBe(true);

      startAgent(b, treeB);
      await until(
        'host B reachable again',
        async () => (await api.request('GET', `/v1/hosts/${b.name}`)).body.reachable === true,
      );
      await new Promise((r) => setTimeout(r, 3500)); // past a full re-sync of the new agent
      const events = await stream(`host-${b.name}`);
      expect(events.filter((e) => FACT_EVENTS.includes(e.type)).length).toBe(factsBefore);
      expect(count(events, 'HostUnreachable')).toBe(downBefore + 1);
      expect(count(events, 'HostReachable')).toBe(upBefore + 1);
      expect((await api.request('GET', `/v1/guests/${guestId()}`)).body.host).toBe(b.name);
    });

    it('survives the API going away: the agents back off, report again when it returns, and record nothing twice', async () => {
      const before = await lastPosition();
      await api.close();
      const noticed = () =>
        [...agents.values()].every((child) =>
          (child as ChildProcess & { output: string[] }).output.join('').includes('Ferry did not take the report'),
        );
      await until('both agents noticing', async () => noticed(), 15_000);
      api = await startApp(backend, { agentTimeoutMs: AGENT_TIMEOUT_MS, port });
      await new Promise((r) => setTimeout(r, 4000)); // their back-off, then a full re-sync each
      expect(await lastPosition()).toBe(before);
      for (const host of [a, b]) expect((await api.request('GET', `/v1/hosts/${host.name}`)).body.reachable).toBe(true);
      // A change on host A after the outage arrives, once.
      setRmrr(treeA, true);
      await until('host A reporting the new reserved range', async () =>
        (await stream(`host-${a.name}`)).some((e) => e.type === 'ReservedRegionsReported'),
      );
      const settled = (await stream(`host-${a.name}`)).length;
      await new Promise((r) => setTimeout(r, 3500));
      expect((await stream(`host-${a.name}`)).length).toBe(settled);
    });
  },
);
