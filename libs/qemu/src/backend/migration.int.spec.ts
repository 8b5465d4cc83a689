import { expect, it } from 'vitest';
import { buildTestGuest, parseGuestProgress, testGuestAppend } from '../guest/test-guest.js';
import type { QemuVm } from '../process/qemu-vm.js';
import type { QemuVmConfig } from '../process/vm-config.js';
import { sleep, waitFor } from '../../../../test/support/wait-for.js';
import { describeWithQemu, useVms } from '../qemu.spec-support.js';
import { hotplugDevice } from './device-hotplug.js';
import { hotplugMemory } from './memory-hotplug.js';
import { startMigrationDestination } from './migration-destination.js';
import { startMigration } from './qemu-migration.js';

const MiB = 1024 * 1024;
const RATE = 5000;

async function dirtyingGuest(overrides: Partial<QemuVmConfig> = {}): Promise<QemuVmConfig> {
  return {
    name: 'mig-source',
    memoryMiB: 512,
    kernel: await buildTestGuest(),
    append: testGuestAppend({ workingSetMiB: 256, pagesPerSecond: RATE }),
    debugcon: true,
    ...overrides,
  };
}

const lastPages = (vm: QemuVm) => parseGuestProgress(vm.readDebugcon()).at(-1)?.pages ?? 0;

/** The guest keeps counting on this VM: a progress line beyond `pages` shows up. */
const keepsDirtying = (vm: QemuVm, pages: number) =>
  waitFor(
    () => lastPages(vm),
    (now) => now > pages,
    3000,
    { message: `guest on "${vm.name}" stopped counting` },
  );

async function busOf(vm: QemuVm, id: string): Promise<string> {
  const path = await vm.qmp.execute<string>('qom-get', { path: `/machine/peripheral/${id}`, property: 'parent_bus' });
  return path.split('/').at(-1)!;
}

describeWithQemu('live migration between two QEMUs', () => {
  const vms = useVms();

  it('migrates the dirtying guest with its hot-plugged device and DIMM, reporting progress', async () => {
    const source = await vms.start(await dirtyingGuest({ memorySlots: 2, maxMemoryMiB: 1024 }));
    await hotplugDevice(source, {
      id: 'net0',
      driver: 'virtio-net-pci',
      port: 'rp1',
      iommuPlatform: true,
      disableLegacy: true,
    });
    const dimm = await hotplugMemory(source, { id: 'dimm0', sizeBytes: 128 * MiB });
    // Let the sweep run ahead (~80 MiB), so the first pass lasts over a second (QEMU computes
    // dirty-pages-rate over sync periods of at least 1 s) and the next pass is long enough
    // to be polled: query-migrate drops the rate once completed.
    await sleep(4000);
    const destination = await vms.track(startMigrationDestination(source));

    const migration = await startMigration({
      source,
      destination,
      parameters: { maxBandwidthBytesPerSec: 64 * MiB },
      pollIntervalMs: 100,
    });
    const outcome = await migration.outcome;

    expect(outcome).toMatchObject({
      status: 'completed',
      sourceRunState: 'postmigrate',
      destinationRunState: 'running',
    });
    expect(outcome.transitions).toEqual(['setup', 'active', 'completed']);
    expect(outcome.error).toBeUndefined();
    expect(outcome.progress.length).toBeGreaterThanOrEqual(3);
    expect(outcome.progress.map((p) => p.status)).toContain('active');
    const transferred = outcome.progress.map((p) => p.transferredBytes);
    expect(transferred).toEqual([...transferred].sort((a, b) => a - b));
    expect(outcome.final).toMatchObject({ status: 'completed', remainingBytes: 0 });
    expect(outcome.final.downtimeMs).toBeGreaterThanOrEqual(0);
    expect(outcome.final.transferredBytes).toBeGreaterThan(50 * MiB); // ≥ 3 s × 5000 pages of 4 KiB
    const limitMbps = (64 * MiB * 8) / 1e6; // QEMU reports megabits (10^6) per second
    for (const p of outcome.progress.filter((p) => p.status === 'active'))
      expect(p.mbps).toBeLessThanOrEqual(limitMbps * 1.05);
    // QEMU's own dirty-page accounting sees the guest's rate.
    const rates = outcome.progress.map((p) => p.dirtyPagesRate).filter((rate) => rate > 0);
    const trace = outcome.progress
      .map((p) => `${p.status}@${p.totalTimeMs}ms sync=${p.dirtySyncCount} rate=${p.dirtyPagesRate}`)
      .join(', ');
    expect(rates.length, `no dirty-pages-rate in ${trace}`).toBeGreaterThan(0);
    expect(rates[0]).toBeGreaterThan(RATE * 0.8);
    expect(rates[0]).toBeLessThan(RATE * 1.2);
    console.info(
      `migration: ${outcome.progress.length} progress records, QEMU dirty-pages-rate ${rates[0]} pages/s, ` +
        `${outcome.final.totalTimeMs} ms total, ${outcome.final.downtimeMs} ms downtime, ${outcome.final.transferredBytes} bytes`,
    );

    // The destination carries on where the source stopped: same devices, same counter.
    expect(await busOf(destination, 'net0')).toBe('rp1');
    const memory = await destination.qmp.execute<Array<{ data: { id: string; addr: number } }>>('query-memory-devices');
    expect(memory.map((m) => [m.data.id, BigInt(m.data.addr)])).toEqual([['dimm0', dimm.addr]]);
    await keepsDirtying(destination, lastPages(source));
  });

  it('fails cleanly when the destination lacks a hot-plugged device, leaving the source running', async () => {
    const source = await vms.start(await dirtyingGuest());
    await hotplugDevice(source, {
      id: 'net0',
      driver: 'virtio-net-pci',
      port: 'rp1',
      iommuPlatform: true,
      disableLegacy: true,
    });
    // Same config as the source's command line, but the hot-plug is NOT replayed.
    const destination = await vms.start({ ...source.config, name: 'mig-mismatch', incoming: true });

    const migration = await startMigration({ source, destination, parameters: { maxBandwidthBytesPerSec: 64 * MiB } });
    const outcome = await migration.outcome;

    expect(outcome.status).toBe('failed');
    // QEMU's words, not ours: the source only saw its socket break...
    expect(outcome.error).toEqual(expect.any(String));
    expect(outcome.error).not.toBe('');
    expect(outcome.final.status).toBe('failed');
    // ...the destination names the cause.
    expect(outcome.destinationStderr).toContain(
      'Unknown ramblock "0000:00:05.0:00.0/virtio-net-pci.rom", cannot accept migration',
    );
    expect(outcome.sourceRunState).toBe('running');
    expect(outcome.destinationRunState).toBe('exited');
    await keepsDirtying(source, lastPages(source));
  });

  it('cancels mid-migration; the source keeps running', async () => {
    const source = await vms.start(await dirtyingGuest());
    const destination = await vms.track(startMigrationDestination(source));
    // 8 MiB/s against ~20 MiB/s of dirtying never converges, once the sweep has a head start;
    // a guest only just booted has dirtied so little that the first pass would complete it.
    await sleep(1000);
    const migration = await startMigration({
      source,
      destination,
      parameters: { maxBandwidthBytesPerSec: 8 * MiB, autoConverge: false },
    });
    const seen: string[] = [];
    migration.onProgress((progress) => seen.push(progress.status));
    await waitFor(
      () => migration.progress.filter((p) => p.status === 'active').length,
      (n) => n >= 3,
      5000,
      { message: 'migration never became active' },
    );

    const outcome = await migration.cancel();

    expect(outcome.status).toBe('cancelled');
    expect(outcome.error).toBeUndefined();
    expect(outcome.sourceRunState).toBe('running');
    expect(seen.at(-1)).toBe('cancelled');
    expect(outcome.progress.some((p) => p.transferredBytes > 0)).toBe(true);
    await expect(source.qmp.execute('query-migrate')).resolves.toMatchObject({ status: 'cancelled' });
    await keepsDirtying(source, lastPages(source));
  });

  it('refuses a destination that was not started with -incoming defer', async () => {
    const source = await vms.start({ name: 'mig-refuse', memoryMiB: 64 });
    const notIncoming = await vms.start({ name: 'mig-refuse-dest', memoryMiB: 64 });
    await expect(startMigration({ source, destination: notIncoming })).rejects.toMatchObject({
      code: 'NOT_MIGRATION_DESTINATION',
    });
  });
});
