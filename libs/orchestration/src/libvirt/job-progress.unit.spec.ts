import { describe, expect, it } from 'vitest';
import { parseJobStats } from '@ferry/libvirt';
import { iterationReportOf, migrationInfoOf, runningStatusOf } from './job-progress.js';

const stats = (iteration: number, processed: number, remaining: number, elapsed: number) =>
  parseJobStats(`Job type: 2

operation: 5
time_elapsed: ${elapsed}
downtime: 3194
memory_total: 268828672
memory_processed: ${processed}
memory_remaining: ${remaining}
memory_bps: 19638000
memory_dirty_rate: 5067
memory_iteration: ${iteration}
memory_page_size: 4096
auto_converge_throttle: 20
`);

describe('libvirt job statistics as migration progress', () => {
  it('reports real bytes, remaining, dirty rate, expected downtime and throttle', () => {
    const info = migrationInfoOf(stats(8, 441681360, 60829696, 30403), 'active');
    expect(info).toMatchObject({
      status: 'active',
      totalTimeMs: 30403,
      expectedDowntimeMs: 3194,
      downtimeMs: null,
      cpuThrottlePercentage: 20,
      ram: { transferredBytes: 441681360n, remainingBytes: 60829696n, dirtySyncCount: 8, dirtyPagesRate: 5067 },
    });
    expect(info.ram.mbps).toBeCloseTo(157.1, 1);
  });

  it('measures one dirty sync against the previous one', () => {
    const report = iterationReportOf(stats(3, 170619336, 27275264, 17296), stats(2, 80265328, 55042048, 13032));
    expect(report).toMatchObject({ iteration: 3, atMs: 17296, durationMs: 4264, transferredBytes: 90354008n });
  });

  it('is in setup until the first sync, active after, post-copy once switched', () => {
    expect(runningStatusOf(stats(0, 0, 0, 900), false)).toBe('setup');
    expect(runningStatusOf(stats(1, 1, 1, 900), false)).toBe('active');
    expect(runningStatusOf(stats(1, 1, 1, 900), true)).toBe('postcopy-active');
  });
});
