import { describe, expect, it } from 'vitest';
import { jobActive, parseJobStats } from './job-stats.js';

// Captured from `virsh domjobinfo <dom> --rawstats` (libvirt 9.0, QEMU 7.2, TCG) mid-migration.
const ACTIVE = `Job type: 2

operation: 5
time_elapsed: 30403
downtime: 3417
setup_time: 1
data_total: 268828672
data_processed: 441681360
data_remaining: 60829696
memory_total: 268828672
memory_processed: 441681360
memory_remaining: 60829696
memory_bps: 19638000
memory_constant: 49131
memory_normal: 107514
memory_normal_bytes: 440377344
memory_dirty_rate: 5067
memory_iteration: 8
memory_postcopy_requests: 0
memory_page_size: 4096
disk_total: 0
disk_processed: 0
disk_remaining: 0
`;

describe('domjobinfo --rawstats', () => {
  it('reads a running outgoing migration: bytes, remaining, dirty rate, iteration, expected downtime', () => {
    const stats = parseJobStats(ACTIVE);
    expect(stats.type).toBe('unbounded');
    expect(jobActive(stats)).toBe(true);
    expect(stats.operation).toBe('migration-out');
    expect(stats.elapsedMs).toBe(30403);
    expect(stats.downtimeMs).toBe(3417);
    expect(stats.memory).toMatchObject({
      totalBytes: 268828672n,
      processedBytes: 441681360n,
      remainingBytes: 60829696n,
      bytesPerSecond: 19638000,
      dirtyPagesRate: 5067,
      iteration: 8,
      pageSize: 4096,
    });
    expect(stats.errorMessage).toBeNull();
  });

  it('reads "no job" as inactive with zeros, and a failed job with its error text verbatim', () => {
    const none = parseJobStats('Job type: 0\n\n');
    expect(none.type).toBe('none');
    expect(jobActive(none)).toBe(false);
    const failed = parseJobStats(
      'Job type: 4\n\noperation: 5\ntime_elapsed: 812\nerrmsg: operation aborted: migration out: canceled by client\n',
    );
    expect(failed.type).toBe('failed');
    expect(failed.errorMessage).toBe('operation aborted: migration out: canceled by client');
  });

  it('refuses text that is not domjobinfo output', () => {
    expect(() => parseJobStats('Domain: foo')).toThrow(/not domjobinfo/);
  });
});
