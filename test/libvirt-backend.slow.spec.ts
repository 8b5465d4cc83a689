// The libvirt execution backend on the two-host lab: real libvirt daemons, a real TCG domain booting
// the dirtying guest, the real `ferry` CLI, the API on PostgreSQL + Redis and workers as their own
// processes (so one can be SIGKILLed mid-migration).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importHostFacts, importLibvirtDomain } from '@ferry/importers';
import { deviceXml } from '@ferry/libvirt';
import { startApp, TEST_ADMIN_TOKEN, type RunningApp } from './support/app.js';
import { postgresBackend, type TestBackend } from './support/backends.js';
import { CLEAN_X86_TREE } from './support/host-trees.js';
import { libvirtLabUnavailable, startLab, type Lab, type LabGuest, type LabHost } from './support/libvirt-lab.js';
import { deleteRedisKeys, TEST_REDIS_URL } from './support/redis.js';
import { startWorker, type WorkerProcess } from './support/worker-process.js';

const UNAVAILABLE = libvirtLabUnavailable();
const GUEST_ID = 'lab-vm';
const POOL = 'lab';
const TERMINAL = ['completed', 'failed', 'cancelled', 'rejected'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ferry(url: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=ferry-source', '--import', 'tsx', 'apps/cli/src/main.ts', ...args],
      {
        env: { ...process.env, FERRY_URL: url, NO_COLOR: '1', FERRY_TOKEN: TEST_ADMIN_TOKEN },
        timeout: 300_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const domainState = (host: LabHost, guest: LabGuest) =>
  host.virsh('domstate', guest.uuid).then(
    (out) => out.trim(),
    () => null,
  );

describe.skipIf(UNAVAILABLE)(
  UNAVAILABLE ? `the libvirt backend on the lab [skipped: ${UNAVAILABLE}]` : 'the libvirt backend on the lab',
  () => {
    let lab: Lab | undefined;
    let a: LabHost;
    let b: LabHost;
    let guest: LabGuest;
    let backend: TestBackend;
    let api: RunningApp;
    let env: Record<string, string>;
    const prefix = `ferry-lv-${randomBytes(4).toString('hex')}`;
    const workers: WorkerProcess[] = [];

    const migration = async (id: string) => (await api.request('GET', `/v1/migrations/${id}`)).body;
    const history = async (id: string) =>
      (await api.request('GET', `/v1/streams/migration-${id}`)).body.events as Array<{ type: string; data: any }>;
    const hostOfGuest = async () => (await api.request('GET', `/v1/guests/${GUEST_ID}`)).body.host as string;
    const setPolicy = (policy: Record<string, unknown>) =>
      api.request('PUT', `/v1/pools/${POOL}/migration-policy`, { body: { policy, backend: 'libvirt' } });
    const finished = (id: string, timeoutMs = 240_000) =>
      until(
        `migration ${id} to finish`,
        async () => {
          const m = await migration(id);
          return TERMINAL.includes(m.state) && m;
        },
        timeoutMs,
      );

    beforeAll(async () => {
      lab = await startLab({ hosts: 2 });
      [a, b] = lab.hosts as [LabHost, LabHost];
      // A working set rewritten at ~4 MB/s: converges at full speed, never at 1 MiB/s.
      guest = await lab.defineTestGuest(a, { name: 'backend-vm', workingSetMiB: 32, pagesPerSecond: 1000 });
      backend = postgresBackend();
      const store = backend.config();
      env = {
        REDIS_URL: TEST_REDIS_URL,
        FERRY_QUEUE_PREFIX: prefix,
        DATABASE_URL: store.databaseUrl!,
        DATABASE_SCHEMA: store.schema!,
        FERRY_LEASE_MS: '3000',
      };
      api = await startApp(backend, {
        redisUrl: TEST_REDIS_URL,
        runWorkers: false,
        queuePrefix: prefix,
        leaseMs: 3000,
      });
      const facts = importHostFacts({ root: CLEAN_X86_TREE }).value;
      const domain = importLibvirtDomain(await a.virsh('dumpxml', guest.uuid)).value!;
      const fleet = await api.request('POST', '/v1/fleet', {
        body: {
          hosts: [a, b].map((h) => ({ ...facts, id: h.name, pool: POOL, libvirt: { uri: h.uri } })),
          guests: [{ ...domain, id: GUEST_ID, host: a.name, libvirt: { uuid: guest.uuid, name: guest.name } }],
        },
      });
      expect(fleet.status, JSON.stringify(fleet.body)).toBe(200);
      workers.push(await startWorker(env, 120_000));
    }, 600_000);

    afterAll(async () => {
      for (const w of workers) await w.kill('SIGKILL');
      await api?.close();
      await backend?.cleanup();
      await deleteRedisKeys(prefix);
      await lab?.teardown();
    });

    it('cancel mid-migration aborts the libvirt job: the domain runs on A and the history says so', async () => {
      // 1 MiB/s against a guest writing ~4 MB/s: it cannot finish before the cancel lands.
      expect((await setPolicy({ maxBandwidth: '1MiB', downtimeLimitMs: 700, autoConverge: false })).status).toBe(200);
      const started = await ferry(api.url, ['migrate', GUEST_ID, '--to', b.name, '--json']);
      expect(started.code, started.stderr).toBe(0);
      const id = JSON.parse(started.stdout).id as string;
      await until('real progress', async () => {
        const m = await migration(id);
        return m.state === 'running' && m.lastProgress && BigInt(m.lastProgress.transferredBytes) > 0n;
      });
      // The policy, as libvirt holds it on the running job.
      expect((await a.virsh('migrate-getspeed', guest.uuid)).trim()).toBe('1');
      await until(
        'the downtime limit on the job',
        async () => (await a.virsh('migrate-getmaxdowntime', guest.uuid)).trim() === '700',
      );
      const cancel = await ferry(api.url, ['migration', 'cancel', id]);
      expect(cancel.code, cancel.stderr).toBe(0);
      const done = await finished(id);
      expect(done.state).toBe('cancelled');
      expect(await domainState(a, guest)).toBe('running');
      expect(await domainState(b, guest)).toBeNull();
      expect(await hostOfGuest()).toBe(a.name);
      const last = (await history(id)).at(-1)!;
      expect(last.type).toBe('MigrationCancelled');
      // libvirt's own words, and where libvirt has the domain now.
      expect(last.data.reason).toMatch(/operation aborted: .*canceled by client/);
      expect(last.data.reason).toContain('libvirt on the source: running; on the destination: no such domain');
    });

    it('ferry migrate --watch moves the real domain to B, with real progress and the placement updated', async () => {
      // 8 MiB/s against ~4 MB/s of writes: a few shrinking passes, then the switch-over.
      expect((await setPolicy({ maxBandwidth: '8MiB', downtimeLimitMs: 300 })).status).toBe(200);
      const run = await ferry(api.url, ['migrate', GUEST_ID, '--to', b.name, '--watch']);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(await domainState(b, guest)).toBe('running');
      expect(await domainState(a, guest)).toBeNull();
      // Persistent on B (survives a restart of the domain), undefined on A.
      expect((await b.virsh('list', '--all', '--persistent', '--uuid')).trim()).toContain(guest.uuid);
      expect(await hostOfGuest()).toBe(b.name);
      const id = /migration ([0-9a-f-]{36})/.exec(run.stdout)![1]!;
      const events = await history(id);
      const progress = events.filter((e) => e.type === 'MigrationProgressed').map((e) => e.data);
      expect(progress.length).toBeGreaterThanOrEqual(2);
      const last = progress.at(-1)!;
      // Zero pages travel as headers: what is sent is about the 32 MiB working set, not all 256 MiB.
      expect(BigInt(last.transferredBytes)).toBeGreaterThan(0n);
      expect(BigInt(last.totalBytes)).toBeGreaterThanOrEqual(256n * 2n ** 20n);
      expect(progress.some((p) => BigInt(p.remainingBytes) > 0n)).toBe(true);
      expect(progress.some((p) => p.iteration >= 2 && p.dirtyPagesRate > 0 && p.expectedDowntimeMs > 0)).toBe(true);
      expect(progress.every((p) => p.downtimeLimitMs === 300)).toBe(true);
      const completed = events.find((e) => e.type === 'MigrationCompleted')!.data;
      expect(completed.downtimeMs).toBeGreaterThan(0);
      expect(BigInt(completed.transferredBytes)).toBeGreaterThanOrEqual(32n * 2n ** 20n);
      expect(BigInt(completed.transferredBytes)).toBeGreaterThanOrEqual(BigInt(last.transferredBytes));
    });

    it('a worker SIGKILLed mid-migration: a restarted worker asks libvirt and records what it says happened', async () => {
      // Back from B to A, slowly enough to kill the worker in the middle (~256 MiB at 8 MiB/s).
      expect((await setPolicy({ maxBandwidth: '8MiB', downtimeLimitMs: 2000 })).status).toBe(200);
      const started = await ferry(api.url, ['migrate', GUEST_ID, '--to', a.name, '--json']);
      expect(started.code, started.stderr).toBe(0);
      const id = JSON.parse(started.stdout).id as string;
      await until('progress', async () => {
        const m = await migration(id);
        return m.state === 'running' && m.lastProgress && BigInt(m.lastProgress.transferredBytes) > 0n;
      });
      await workers.shift()!.kill('SIGKILL');
      workers.push(await startWorker(env, 120_000));
      const done = await finished(id);
      // Whatever happened, Ferry's record is libvirt's: the guest is where libvirt runs the domain.
      const onA = await domainState(a, guest);
      const onB = await domainState(b, guest);
      if (done.state === 'completed') {
        expect(onA).toBe('running');
        expect(onB).toBeNull();
        expect(await hostOfGuest()).toBe(a.name);
      } else {
        expect(done.state).toBe('failed');
        expect(onB).toBe('running');
        expect(await hostOfGuest()).toBe(b.name);
      }
      const adjusted = (await history(id))
        .filter((e) => e.type === 'MigrationPolicyAdjusted')
        .map((e) => e.data.reason);
      expect(adjusted.some((r: string) => r.startsWith('worker of attempt 1 stopped; libvirt on the source:'))).toBe(
        true,
      );
      // The migration outlived its worker: libvirt finished it, and Ferry recorded that.
      expect(done.state).toBe('completed');
    });

    it('a worker SIGKILLed, then the job aborted while no worker runs: the next worker records the failure libvirt shows', async () => {
      expect((await setPolicy({ maxBandwidth: '1MiB', autoConverge: false })).status).toBe(200);
      const started = await ferry(api.url, ['migrate', GUEST_ID, '--to', b.name, '--json']);
      expect(started.code, started.stderr).toBe(0);
      const id = JSON.parse(started.stdout).id as string;
      await until('progress', async () => {
        const m = await migration(id);
        return m.state === 'running' && m.lastProgress && BigInt(m.lastProgress.transferredBytes) > 0n;
      });
      await workers.shift()!.kill('SIGKILL');
      // Someone aborts the job by hand while Ferry has no worker.
      await a.virsh('domjobabort', guest.uuid);
      await until('the job to end on A', async () =>
        (await a.virsh('domjobinfo', guest.uuid, '--rawstats')).startsWith('Job type: 0'),
      );
      workers.push(await startWorker(env, 120_000));
      const done = await finished(id);
      expect(done.state).toBe('failed');
      expect(done.outcome).toMatch(
        /^interrupted: the worker running attempt 1 stopped mid-migration; libvirt was asked/,
      );
      expect(done.outcome).toContain('libvirt on the source: running; on the destination: no such domain');
      expect(await domainState(a, guest)).toBe('running');
      expect(await domainState(b, guest)).toBeNull();
      expect(await hostOfGuest()).toBe(a.name);
    });

    it('switches to post-copy when the policy says so, or records QEMU refusing post-copy in its words', async () => {
      // 4 MiB/s and a 5 s-per-GiB completion timeout: the policy's switch to post-copy fires mid-flight.
      const policy = { maxBandwidth: '4MiB', onTimeout: 'postcopy', completionTimeoutPerGiB: 5, autoConverge: false };
      expect((await setPolicy(policy)).status).toBe(200);
      const from = (await hostOfGuest()) === a.name ? a : b;
      const to = from === a ? b : a;
      const run = await ferry(api.url, ['migrate', GUEST_ID, '--to', to.name, '--watch']);
      const id = /migration ([0-9a-f-]{36})/.exec(run.stdout)![1]!;
      const done = await migration(id);
      const events = await history(id);
      const adjusted = events.filter((e) => e.type === 'MigrationPolicyAdjusted').map((e) => e.data);
      // Multifd is the default (2 connections); QEMU 7.2 cannot combine it with post-copy, so it is off.
      expect(adjusted[0].reason).toMatch(/parallel connections \(2\) off/);
      if (done.state === 'failed') {
        // QEMU needs userfaultfd for post-copy; where its process may not use it (as on this lab machine:
        // libvirt runs QEMU unprivileged and sandboxed), QEMU refuses when libvirt enables the capability.
        expect(run.code).toBe(1);
        expect(done.outcome).toBe(
          "migration failed: internal error: unable to execute QEMU command 'migrate-set-capabilities': Postcopy is not supported (libvirt on the source: running; on the destination: no such domain)",
        );
        expect(await domainState(from, guest)).toBe('running');
        expect(await hostOfGuest()).toBe(from.name);
        return;
      }
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(adjusted).toContainEqual(expect.objectContaining({ postcopy: true }));
      expect(events.find((e) => e.type === 'MigrationSwitchedOver')!.data.mode).toBe('postcopy');
      expect(await domainState(to, guest)).toBe('running');
      expect(await domainState(from, guest)).toBeNull();
      expect(await hostOfGuest()).toBe(to.name);
    });

    it('hot-plugs a virtio NIC through libvirt with the IOMMU driver option the policy asks for', async () => {
      const device = { id: 'nic0', kind: 'virtio-net', iommuPlatform: true };
      const requested = await api.request('POST', '/v1/hotplugs', {
        body: { guestId: GUEST_ID, device, backend: 'libvirt' },
      });
      expect(requested.status, JSON.stringify(requested.body)).toBe(202);
      const done = await until('the hot-plug to finish', async () => {
        const h = (await api.request('GET', `/v1/hotplugs/${requested.body.id}`)).body;
        return ['completed', 'failed'].includes(h.state) && h;
      });
      expect(done.state, JSON.stringify(done)).toBe('completed');
      const host = (await hostOfGuest()) === a.name ? a : b;
      const live = await host.virsh('dumpxml', guest.uuid);
      expect(live).toMatch(/<interface type='user'>[\s\S]*<driver iommu='on'\/>[\s\S]*<alias name='ua-nic0'\/>/);
      // Also in the persistent definition: it survives a restart and travels with a migration.
      expect(await host.virsh('dumpxml', '--inactive', guest.uuid)).toContain("<alias name='ua-nic0'/>");
      const devices = (await api.request('GET', `/v1/guests/${GUEST_ID}`)).body.devices;
      expect(devices).toEqual([expect.objectContaining({ id: 'nic0', kind: 'virtio-net', iommuPlatform: true })]);
    });

    it('a hot-plug libvirt refuses is recorded with its words, verbatim', async () => {
      // A VFIO NIC of the fixture host. Its PCI address does not exist on this machine (checked, so
      // libvirt's managed detach can never touch a real device here). This host has no IOMMU, so
      // libvirt refuses before QEMU is asked.
      const hostDevice = '0000:c1:00.0';
      expect(existsSync(`/sys/bus/pci/devices/${hostDevice}`)).toBe(false);
      const device = { id: 'nic-vf', kind: 'vfio', hostDevice };
      const requested = await api.request('POST', '/v1/hotplugs', {
        body: { guestId: GUEST_ID, device, backend: 'libvirt', force: true },
      });
      expect(requested.status, JSON.stringify(requested.body)).toBe(202);
      const done = await until('the hot-plug to finish', async () => {
        const h = (await api.request('GET', `/v1/hotplugs/${requested.body.id}`)).body;
        return ['completed', 'failed'].includes(h.state) && h;
      });
      expect(done.state).toBe('failed');
      const failed = (await api.request('GET', `/v1/streams/hotplug-${requested.body.id}`)).body.events.at(-1);
      expect(failed.type).toBe('HotplugFailed');
      // The same device XML attached by hand: libvirt answers with exactly the recorded words.
      const host = (await hostOfGuest()) === a.name ? a : b;
      const dir = mkdtempSync(join(tmpdir(), 'ferry-hotplug-'));
      const file = join(dir, 'device.xml');
      writeFileSync(file, deviceXml({ kind: 'vfio', hostAddress: hostDevice, alias: 'nic-vf' }));
      const byHand = await host.virsh('attach-device', guest.uuid, file, '--live', '--config').then(
        () => 'attached?!',
        (error: Error) => error.message,
      );
      rmSync(dir, { recursive: true, force: true });
      // virsh adds "error: Failed to attach device from <file>" and an "error: " prefix; the rest is libvirt's.
      const libvirtSaid = byHand
        .split('\n')
        .filter((line) => !line.includes(file))
        .map((line) => line.replace(/^error: /, ''));
      expect(failed.data.qemuError.split('\n')).toEqual(libvirtSaid);
      expect(failed.data.qemuError).toContain('VFIO');
      // Nothing changed: the guest has no such device, in Ferry or in libvirt.
      const devices = (await api.request('GET', `/v1/guests/${GUEST_ID}`)).body.devices as Array<{ id: string }>;
      expect(devices.map((d) => d.id)).toEqual(['nic0']);
      expect(await host.virsh('dumpxml', guest.uuid)).not.toContain('hostdev');
    });
  },
);
