import { describe, expect, it } from 'vitest';
import { isEndStatus, toQmpMigrationProgress } from './migration-progress.js';

describe('query-migrate → progress record', () => {
  it('reads an active migration (as QEMU 7.2 reports it)', () => {
    const info = {
      'expected-downtime': 300,
      status: 'active',
      'setup-time': 1,
      'total-time': 1391,
      ram: {
        total: 537403392,
        'postcopy-requests': 0,
        'dirty-sync-count': 2,
        'multifd-bytes': 0,
        'pages-per-second': 16384,
        'downtime-bytes': 0,
        'page-size': 4096,
        remaining: 25440256,
        'postcopy-bytes': 0,
        mbps: 537.1184,
        transferred: 93995878,
        'dirty-sync-missed-zero-copy': 0,
        'precopy-bytes': 93995878,
        duplicate: 108000,
        'dirty-pages-rate': 5005,
        skipped: 0,
        'normal-bytes': 92000000,
        normal: 22460,
      },
      'cpu-throttle-percentage': 20,
    } as const;
    expect(toQmpMigrationProgress(info)).toEqual({
      status: 'active',
      totalTimeMs: 1391,
      transferredBytes: 93995878,
      remainingBytes: 25440256,
      totalBytes: 537403392,
      dirtyPagesRate: 5005,
      dirtySyncCount: 2,
      expectedDowntimeMs: 300,
      cpuThrottlePercentage: 20,
      mbps: 537.1184,
    });
  });

  it('reads zeros before QEMU reports RAM, and the downtime once completed', () => {
    expect(toQmpMigrationProgress({ status: 'setup' })).toMatchObject({
      status: 'setup',
      transferredBytes: 0,
      dirtyPagesRate: 0,
    });
    expect(toQmpMigrationProgress({ status: 'completed', downtime: 39, 'total-time': 1840 })).toMatchObject({
      downtimeMs: 39,
      totalTimeMs: 1840,
    });
    expect(toQmpMigrationProgress({})).toMatchObject({ status: 'none' });
  });

  it.each([
    ['completed', true],
    ['failed', true],
    ['cancelled', true],
    ['cancelling', false],
    ['postcopy-active', false],
    ['active', false],
  ] as const)('%s ends a migration: %s', (status, ends) => {
    expect(isEndStatus(status)).toBe(ends);
  });
});
