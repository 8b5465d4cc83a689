import { expect, it } from 'vitest';
import { buildTestGuest, parseGuestProgress, testGuestAppend } from '../guest/test-guest.js';
import { waitFor } from '../../../../test/support/wait-for.js';
import { describeWithQemu, useVms } from '../qemu.spec-support.js';
import { startMigrationDestination } from './migration-destination.js';
import { startMigration } from './qemu-migration.js';

const MiB = 1024 * 1024;

interface CapabilityState {
  capability: string;
  state: boolean;
}

describeWithQemu('live migration options (post-copy, multifd, auto-converge)', () => {
  const vms = useVms();

  const startSource = async (name: string) =>
    vms.start({
      name,
      memoryMiB: 512,
      kernel: await buildTestGuest(),
      append: testGuestAppend({ workingSetMiB: 256, pagesPerSecond: 5000 }),
      debugcon: true,
    });

  it('switches a non-converging migration to post-copy on request and completes it', async () => {
    const source = await startSource('opt-postcopy');
    const destination = await vms.track(startMigrationDestination(source));
    const migration = await startMigration({
      source,
      destination,
      parameters: { maxBandwidthBytesPerSec: 8 * MiB, postcopy: true, autoConverge: true, downtimeLimitMs: 100 },
    });
    await waitFor(
      () => migration.progress.filter((p) => p.status === 'active').length,
      (n) => n >= 2,
      5000,
      { message: 'migration never became active' },
    );

    await migration.startPostcopy();
    const outcome = await migration.outcome;

    expect(outcome).toMatchObject({
      status: 'completed',
      sourceRunState: 'postmigrate',
      destinationRunState: 'running',
    });
    expect(outcome.transitions).toEqual(['setup', 'active', 'postcopy-active', 'completed']);
    const capabilities = await destination.qmp.execute<CapabilityState[]>('query-migrate-capabilities');
    expect(capabilities).toEqual(
      expect.arrayContaining([
        { capability: 'postcopy-ram', state: true },
        { capability: 'return-path', state: true },
      ]),
    );
    const before = parseGuestProgress(source.readDebugcon()).at(-1)?.pages ?? 0;
    await waitFor(
      () => parseGuestProgress(destination.readDebugcon()).at(-1)?.pages ?? 0,
      (pages) => pages > before,
      3000,
      { message: 'guest stalled after post-copy' },
    );
  });

  it('migrates over two multifd channels with the parameters set on both sides', async () => {
    const source = await startSource('opt-multifd');
    const destination = await vms.track(startMigrationDestination(source));
    const migration = await startMigration({
      source,
      destination,
      parameters: { maxBandwidthBytesPerSec: 64 * MiB, downtimeLimitMs: 200, multifdChannels: 2, autoConverge: true },
    });
    const outcome = await migration.outcome;

    expect(outcome).toMatchObject({ status: 'completed', destinationRunState: 'running' });
    for (const vm of [source, destination]) {
      expect(await vm.qmp.execute('query-migrate-capabilities')).toEqual(
        expect.arrayContaining([
          { capability: 'multifd', state: true },
          { capability: 'return-path', state: true },
          { capability: 'postcopy-ram', state: false },
        ]),
      );
      expect(await vm.qmp.execute('query-migrate-parameters')).toMatchObject({
        'multifd-channels': 2,
        'downtime-limit': 200,
        'max-bandwidth': 64 * MiB,
      });
    }
    expect(await source.qmp.execute('query-migrate-capabilities')).toContainEqual({
      capability: 'auto-converge',
      state: true,
    });
  });
});
