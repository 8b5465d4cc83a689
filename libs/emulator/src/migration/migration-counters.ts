// The running totals behind query-migrate's "ram" section and the per-sync iteration reports.
import { PAGE_SIZE } from '../units.js';
import type { IterationReport, RamStats } from './migration-report.js';

/** The rates and estimates at the moment of a sync, owned by the rate window and sync period. */
export interface Gauges {
  dirtyPagesRate: number;
  bandwidthPerMs: number;
  thresholdBytes: number;
  mbps: number;
  pagesPerSecond: number;
  expectedDowntimeMs: number;
  throttle: number;
}

interface SyncMark {
  atMs: number;
  transferred: number;
  normal: number;
  zero: number;
  remainingBytes: number;
}

export class MigrationCounters {
  transferred = 0;
  normalPages = 0;
  zeroPages = 0;
  syncCount = 0;
  readonly iterations: IterationReport[] = [];
  readonly throttleSteps: number[] = [];
  private last: SyncMark;

  constructor(startMs: number) {
    this.last = { atMs: startMs, transferred: 0, normal: 0, zero: 0, remainingBytes: 0 };
  }

  add(bytes: number, normal: number, zero: number): void {
    this.transferred += bytes;
    this.normalPages += normal;
    this.zeroPages += zero;
  }

  /** QEMU's dirty_bytes_last_sync: what was left right after the previous sync. */
  get remainingAtLastSync(): number {
    return this.last.remainingBytes;
  }

  recordSync(atMs: number, newlyDirtyPages: number, remainingBytes: number, gauges: Gauges): IterationReport {
    this.syncCount++;
    const report: IterationReport = {
      iteration: this.syncCount,
      atMs,
      durationMs: atMs - this.last.atMs,
      transferredBytes: BigInt(this.transferred - this.last.transferred),
      normalPages: this.normalPages - this.last.normal,
      duplicatePages: this.zeroPages - this.last.zero,
      newlyDirtyPages,
      remainingBytes: BigInt(remainingBytes),
      dirtyPagesRate: gauges.dirtyPagesRate,
      bandwidthBytesPerSecond: gauges.bandwidthPerMs * 1000,
      thresholdBytes: BigInt(Math.floor(gauges.thresholdBytes)),
      expectedDowntimeMs: gauges.expectedDowntimeMs,
      cpuThrottlePercentage: gauges.throttle,
    };
    this.last = { atMs, transferred: this.transferred, normal: this.normalPages, zero: this.zeroPages, remainingBytes };
    this.iterations.push(report);
    return report;
  }

  ramStats(pendingPages: number, totalPages: number, gauges: Gauges, postcopyRequests: number): RamStats {
    const page = BigInt(PAGE_SIZE);
    return {
      transferredBytes: BigInt(this.transferred),
      remainingBytes: BigInt(pendingPages) * page,
      totalBytes: BigInt(totalPages) * page,
      duplicatePages: this.zeroPages,
      normalPages: this.normalPages,
      normalBytes: BigInt(this.normalPages) * page,
      dirtySyncCount: this.syncCount,
      dirtyPagesRate: gauges.dirtyPagesRate,
      mbps: gauges.mbps,
      pagesPerSecond: gauges.pagesPerSecond,
      postcopyRequests,
    };
  }
}
