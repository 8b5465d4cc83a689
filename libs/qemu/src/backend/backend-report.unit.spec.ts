import { describe, expect, it } from 'vitest';
import { emulatorStatusOf, initialInfo, iterationReportOf, migrationInfoOf } from './backend-report.js';

const MiB = 1024 * 1024;

describe("query-migrate in the emulator's shapes", () => {
  it('folds the states the emulator does not have into the phase they belong to', () => {
    expect(emulatorStatusOf('device', 'active')).toBe('active');
    expect(emulatorStatusOf('pre-switchover', 'active')).toBe('active');
    expect(emulatorStatusOf('postcopy-recover', 'postcopy-paused')).toBe('postcopy-paused');
    expect(emulatorStatusOf('cancelling', 'active')).toBe('active');
    expect(emulatorStatusOf(undefined, 'setup')).toBe('setup');
  });

  it('turns byte counts into bigint and keeps what QEMU has not reported yet', () => {
    const start = initialInfo(BigInt(512 * MiB), 300);
    const setup = migrationInfoOf({ status: 'setup' }, start);
    expect(setup).toEqual(start);
    const active = migrationInfoOf(
      {
        status: 'active',
        'total-time': 1200,
        'setup-time': 2,
        'expected-downtime': 300,
        ram: {
          transferred: 76_083_754,
          remaining: 444_874_752,
          total: 537_403_392,
          duplicate: 4059,
          normal: 18_530,
          'normal-bytes': 75_898_880,
          'dirty-sync-count': 1,
          mbps: 537.13,
        },
      },
      setup,
    );
    expect(active).toMatchObject({
      status: 'active',
      totalTimeMs: 1200,
      downtimeMs: null,
      ram: {
        transferredBytes: 76_083_754n,
        remainingBytes: 444_874_752n,
        totalBytes: 537_403_392n,
        normalPages: 18_530,
        dirtySyncCount: 1,
      },
    });
  });

  it('builds an iteration report from the polls around a sync, deriving the pages it found', () => {
    const info = (time: number, transferred: number, remaining: number, normal: number, syncs: number) =>
      migrationInfoOf(
        {
          status: 'active',
          'total-time': time,
          ram: { transferred, remaining, normal, duplicate: 4059, 'dirty-sync-count': syncs, mbps: 536.87 },
        },
        initialInfo(0n, 300),
      );
    const lastSync = info(0, 0, 512 * MiB, 0, 1);
    const before = info(4000, 280_000_000, 4096 * 100, 68_000, 1);
    // 100 pages were left, 100 more were sent, and the sync found 5000 dirty ones.
    const after = info(4100, 280_410_400, 4096 * 5000, 68_100, 2);
    const report = iterationReportOf(after, before, lastSync, 300);
    expect(report).toMatchObject({
      iteration: 2,
      atMs: 4100,
      durationMs: 4100,
      transferredBytes: 280_410_400n,
      normalPages: 68_100,
      newlyDirtyPages: 5000,
      remainingBytes: 20_480_000n,
    });
    // threshold = bandwidth × downtime-limit: 536.87 Mbit/s ≈ 64 MiB/s, × 0.3 s ≈ 19.2 MiB.
    expect(Number(report.thresholdBytes) / MiB).toBeCloseTo(19.2, 1);
  });
});
