import { expect, it } from 'vitest';
import { createGuest, MiB, type HostSpec, type MigrationRunEvent, type MigrationSpec } from '@ferry/emulator';
import { describeWithQemu } from '../qemu.spec-support.js';
import { QemuExecutionBackend } from './qemu-execution-backend.js';

const host: HostSpec = {
  id: 'h1',
  arch: 'x86_64',
  iommuAddressWidthBits: 48,
  reservedRegions: [],
  kernelEnforcesIovaRanges: true,
  interruptRemapping: true,
  allowUnsafeInterrupts: false,
  vfioBackends: ['type1v2'],
};
const guest = () =>
  createGuest({ id: 'g1', ramBlocks: [{ name: 'ram', gpa: 0n, size: 256n * MiB }], pcieRootPorts: ['rp0', 'rp1'] });
const sweeping = (pagesPerSecond: number, extra: Partial<MigrationSpec> = {}): MigrationSpec => ({
  ramBlocks: [{ name: 'ram', gpa: 0n, size: 256n * MiB }],
  workload: { kind: 'sweep', pagesPerSecond, region: { offsetBytes: 16n * MiB, sizeBytes: 128n * MiB } },
  ...extra,
});

describeWithQemu('QemuExecutionBackend (the emulator interface on real QEMU)', () => {
  const backend = new QemuExecutionBackend();

  it('refuses VFIO assignment without asking QEMU, and says why', async () => {
    const result = await backend.hotplug({
      guest: guest(),
      host,
      device: { kind: 'vfio-pci', id: 'nic0', bus: 'rp0', hostAddress: '0000:81:00.0', group: { id: 12 } },
    });
    expect(result).toMatchObject({ ok: false, code: 'VFIO_NO_IOMMU_BACKEND', qemuError: null });
    expect(result.message).toMatch(/cannot assign host device 0000:81:00\.0/);
    expect(result.guest).toEqual(guest());
  });

  it("plugs a DIMM where QEMU puts it, and keeps the guest's earlier devices on their ports", async () => {
    const withNic = await backend.hotplug({
      guest: guest(),
      host,
      device: {
        kind: 'virtio',
        id: 'net0',
        bus: 'rp1',
        model: 'virtio-net-pci',
        iommuPlatform: true,
        transitional: false,
        driverAcksAccessPlatform: true,
      },
    });
    expect(withNic.ok).toBe(true);
    const result = await backend.hotplug({
      guest: withNic.guest,
      host,
      device: { kind: 'pc-dimm', id: 'dimm0', gpa: 0x1_0000_0000n, size: 128n * MiB },
    });
    expect(result).toMatchObject({ ok: true, code: 'OK' });
    expect(result.guest.ramBlocks.at(-1)).toEqual({ name: 'dimm0', gpa: 0x1_0000_0000n, size: 128n * MiB });
    const occupied = await backend.hotplug({
      guest: withNic.guest,
      host,
      device: {
        kind: 'virtio',
        id: 'net1',
        bus: 'rp1',
        model: 'virtio-net-pci',
        iommuPlatform: false,
        transitional: false,
        driverAcksAccessPlatform: true,
      },
    });
    expect(occupied).toMatchObject({ ok: false, code: 'BUS_OCCUPIED' });
  });

  it('stops a migration that does not converge at the time limit, still "active", and cancels it in QEMU', async () => {
    const handle = backend.startMigration(
      sweeping(40_000, { parameters: { maxBandwidth: 8 * 1024 * 1024 }, limits: { timeoutMs: 1500 } }),
    );
    const seen: MigrationRunEvent[] = [];
    handle.onProgress((event) => seen.push(event));
    const result = await handle.result;
    expect(result).toMatchObject({ status: 'active', stopReason: 'time-limit', converged: false, source: 'running' });
    expect(result.info.totalTimeMs).toBeGreaterThanOrEqual(1500);
    expect(result.qemu).toMatchObject({ sourceRunState: 'running', sourceKeptRunning: true });
    // The iterator replays the same events and ends with the migration.
    const replayed: MigrationRunEvent[] = [];
    for await (const event of handle.events()) replayed.push(event);
    expect(replayed).toEqual(seen);
    expect(
      seen.filter((e) => e.type === 'dirty-sync').map((e) => e.type === 'dirty-sync' && e.iteration.iteration),
    ).toContain(1);
  }, 20_000);

  it('cancels while the guest is still writing its working set: nothing was migrated', async () => {
    const handle = backend.startMigration(sweeping(2_000, { initialContent: 'filled' })); // 128 MiB at 2000 pages/s: 16 s of filling
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(handle.cancel()).toEqual({ accepted: true });
    const result = await handle.result;
    expect(result).toMatchObject({ status: 'cancelled', stopReason: 'cancelled', converged: false });
    expect(result.info.ram.transferredBytes).toBe(0n);
  }, 20_000);

  it("records the post-copy pause as the QEMUs' STOP and RESUME timed it, QEMU's own figure beside it, and the sweep's phase", async () => {
    const result = await backend.startMigration(
      // Its 128 MiB working set written first, at 32 MiB/s: the bulk pass leaves far more than fits 300 ms.
      sweeping(20_000, {
        initialContent: { written: [{ offsetBytes: 16n * MiB, sizeBytes: 128n * MiB }] },
        parameters: { maxBandwidth: 32 * 1024 * 1024, postcopy: { enabled: true, switchAfterIterations: 0 } },
      }),
    ).result;
    expect(result).toMatchObject({ status: 'completed', converged: true });
    expect(result.postcopy).not.toBeNull();
    const { downtimeMs, measuredDowntimeMs, reportedDowntimeMs, totalTimeMs } = result.info;
    expect(measuredDowntimeMs).toBeGreaterThan(0);
    expect(measuredDowntimeMs).toBeLessThanOrEqual(totalTimeMs);
    // QEMU 7.2's post-copy downtime does not cover the pause: the measured one is recorded.
    expect(downtimeMs).toBe(measuredDowntimeMs);
    expect(typeof reportedDowntimeMs).toBe('number');
    expect(result.qemu.sweepPhasePages).toBeGreaterThanOrEqual(0);
    expect(result.qemu.sweepPhasePages).toBeLessThan(128 * 256);
  }, 60_000);
});
