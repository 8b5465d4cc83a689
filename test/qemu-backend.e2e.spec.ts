// The real QEMU backend behind the job queue: the API records and enqueues, a worker runtime
// holding a QemuExecutionBackend executes against the same SQLite store (the app has no hook to
// take a backend yet), and every QEMU it starts is stopped again. Skipped only without QEMU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB } from '@ferry/emulator';
import { openEventStore, type OpenedStore } from '@ferry/event-store';
import { FleetView, isTerminalState, OrchestrationRuntime } from '@ferry/orchestration';
import { qemuAvailable, QEMU_X86_64, QemuExecutionBackend } from '@ferry/qemu';
import { appBackend, type TestBackend } from './support/backends.js';
import { startApp, type RunningApp } from './support/app.js';
import { defaultRuntimeConfig } from './support/runtime-config.js';
import { waitFor } from './support/wait-for.js';

const QEMU_PRESENT = qemuAvailable();
if (!QEMU_PRESENT)
  console.warn(
    `${QEMU_X86_64} not found on PATH: skipping the QEMU backend e2e tests (Debian: apt-get install qemu-system-x86 nasm)`,
  );

const x86Host = (id: string) => ({
  id,
  pool: 'lab',
  arch: 'x86_64',
  cpuVendor: 'intel',
  memory: '64GiB',
  kernel: '6.8.0',
  iommu: { model: 'intel-vtd', addressWidthBits: 48, interruptRemapping: true, vfioBackends: ['type1v2'] },
  groups: [],
});
const dirtyingGuest = (id: string, dirtyRate: string) => ({
  id,
  host: 'x1',
  machine: 'pc-q35-7.2',
  cpuVendor: 'intel',
  memory: { ram: '512MiB' },
  migration: { dirtyRate, workingSet: '256MiB' },
});

describe.skipIf(!QEMU_PRESENT)(
  QEMU_PRESENT ? 'the QEMU backend through the job queue' : `the QEMU backend [skipped: ${QEMU_X86_64} not installed]`,
  () => {
    let backend: TestBackend;
    let api: RunningApp;
    let opened: OpenedStore;
    let worker: OrchestrationRuntime;
    const migration = (id: string) => api.request('GET', `/v1/migrations/${id}`).then((r) => r.body);
    const history = (id: string) =>
      api
        .request('GET', `/v1/streams/migration-${id}`)
        .then((r) => r.body.events as Array<{ type: string; data: any }>);

    beforeAll(async () => {
      backend = appBackend();
      api = await startApp(backend, { runWorkers: false });
      opened = await openEventStore(backend.config());
      worker = new OrchestrationRuntime(opened.store, new FleetView(opened.store), {
        ...defaultRuntimeConfig(),
        workerId: 'qemu-worker',
        backends: { qemu: new QemuExecutionBackend() },
        reconcileEveryMs: 200,
        leaseMs: 10_000,
      });
      worker.startWorkers();
      const fleet = await api.request('POST', '/v1/fleet', {
        body: {
          hosts: [x86Host('x1'), x86Host('x2')],
          guests: [
            dirtyingGuest('mover', '5000/s'),
            dirtyingGuest('stayer', '40000/s'),
            dirtyingGuest('plugged', '0/s'),
          ],
        },
      });
      expect(fleet.status).toBeLessThan(300);
    });

    afterAll(async () => {
      await worker?.close();
      await opened?.close();
      await api?.close();
      await backend?.cleanup();
    });

    it('migrates the dirtying guest on real QEMU, recording QEMU’s own progress, and moves it on completion', async () => {
      const submitted = await api.request('POST', '/v1/migrations', {
        body: { guestId: 'mover', destinationHostId: 'x2', backend: 'qemu', policy: { maxBandwidth: '256MiB' } },
      });
      expect(submitted.status).toBe(202);
      // The guest first writes its 256 MiB working set at 5000 pages/s (~13 s), then migrates.
      const done = await waitFor(
        () => migration(submitted.body.id),
        (m) => isTerminalState(m.state),
        60_000,
      );
      expect(done.state).toBe('completed');
      const events = await history(submitted.body.id);
      expect(events.slice(0, 2).map((e) => e.type)).toEqual(['MigrationRequested', 'MigrationStarted']);
      expect(events.slice(-2).map((e) => e.type)).toEqual(['MigrationSwitchedOver', 'MigrationCompleted']);
      const progressed = events.filter((e) => e.type === 'MigrationProgressed').map((e) => e.data);
      expect(progressed.length).toBeGreaterThanOrEqual(2);
      // QEMU's counters, not the model's: RAM total includes q35's firmware blocks, and the whole
      // working set (256 MiB of non-zero pages) really crossed.
      expect(BigInt(progressed.at(-1).totalBytes)).toBeGreaterThan(512n * MiB);
      expect(BigInt(progressed.at(-1).transferredBytes)).toBeGreaterThan(256n * MiB);
      expect(progressed.map((p: { iteration: number }) => p.iteration)).toEqual(
        [...progressed.map((p: { iteration: number }) => p.iteration)].sort((a, b) => a - b),
      );
      const completed = events.at(-1)!.data;
      expect(completed).toMatchObject({ mode: 'precopy' });
      expect(completed.downtimeMs).toBeGreaterThan(0);
      expect((await api.request('GET', '/v1/guests/mover')).body.host).toBe('x2');
    }, 75_000);

    it("records QEMU's refusal of a forced hot-plug verbatim, and the guest keeps its devices", async () => {
      const blocked = await api.request('POST', '/v1/hotplugs', {
        body: {
          guestId: 'plugged',
          device: { id: 'net1', kind: 'virtio-net', iommuPlatform: true, transitional: true },
          backend: 'qemu',
        },
      });
      expect(blocked.status).toBe(409); // the planner already knows; force asks QEMU anyway
      const forced = await api.request('POST', '/v1/hotplugs', {
        body: {
          guestId: 'plugged',
          device: { id: 'net1', kind: 'virtio-net', iommuPlatform: true, transitional: true },
          backend: 'qemu',
          force: true,
        },
      });
      expect(forced.status).toBe(202);
      const done = await waitFor(
        () => api.request('GET', `/v1/hotplugs/${forced.body.id}`).then((r) => r.body),
        (h) => h.state === 'failed' || h.state === 'completed',
        45_000,
      );
      expect(done).toMatchObject({
        state: 'failed',
        outcome: 'device_add refused (VIRTIO_IOMMU_PLATFORM_TRANSITIONAL)',
        // QEMU 7.2's words exactly (the emulator adds a hint; QEMU does not).
        qemuError: 'VIRTIO_F_IOMMU_PLATFORM was supported by neither legacy nor transitional device',
      });
      expect((await api.request('GET', '/v1/guests/plugged')).body.devices).toEqual([]);
    }, 30_000);

    it('cancels a running QEMU migration on request: the guest stays on its source', async () => {
      // 40 000 pages/s against 8 MiB/s never converges.
      const submitted = await api.request('POST', '/v1/migrations', {
        body: {
          guestId: 'stayer',
          destinationHostId: 'x2',
          backend: 'qemu',
          policy: { maxBandwidth: '8MiB', autoConverge: false },
        },
      });
      expect(submitted.status).toBe(202);
      await waitFor(
        () => migration(submitted.body.id),
        (m) => m.state === 'running' && m.lastProgress !== null,
        45_000,
      );
      expect((await api.request('POST', `/v1/migrations/${submitted.body.id}/cancel`)).status).toBeLessThan(300);
      const done = await waitFor(
        () => migration(submitted.body.id),
        (m) => isTerminalState(m.state),
        45_000,
      );
      expect(done.state).toBe('cancelled');
      const types = (await history(submitted.body.id)).map((e) => e.type);
      expect(types).toContain('MigrationProgressed');
      expect(types.at(-1)).toBe('MigrationCancelled');
      expect((await api.request('GET', '/v1/guests/stayer')).body.host).toBe('x1');
    }, 45_000);

    it('fails cleanly against a mismatched destination, with QEMU’s words, and the source guest keeps running', async () => {
      // The API cannot start a wrong destination, so this one runs at the backend: same spec, a
      // destination with half the RAM ("What must match": RAM block sizes).
      const mismatched = new QemuExecutionBackend({ destinationOverrides: { memoryMiB: 256 } });
      const handle = mismatched.startMigration({
        ramBlocks: [{ name: 'ram', gpa: 0n, size: 512n * MiB }],
        workload: { kind: 'sweep', pagesPerSecond: 5000, region: { offsetBytes: 16n * MiB, sizeBytes: 256n * MiB } },
        parameters: { maxBandwidth: 64 * 1024 * 1024 },
      });
      const statuses: string[] = [];
      handle.onProgress((e) => e.type === 'status-changed' && statuses.push(e.to));
      const result = await handle.result;
      expect(result).toMatchObject({
        status: 'failed',
        stopReason: 'network-failure',
        converged: false,
        source: 'running',
      });
      // The source only sees its socket break ("Broken pipe" or "Bad file descriptor", by timing);
      // the destination names the cause, and both are kept.
      expect(result.error).toMatch(
        /^Unable to write to socket: .+; destination: .*Size mismatch: pc\.ram: 0x20000000 != 0x10000000: Invalid argument/,
      );
      expect(result.qemu).toMatchObject({ sourceRunState: 'running', sourceKeptRunning: true });
      expect(statuses.at(-1)).toBe('failed');
      expect(handle.cancel()).toMatchObject({ accepted: false });
    }, 30_000);
  },
);
