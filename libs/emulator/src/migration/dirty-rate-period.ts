// QEMU's ≥ 1 s sync period (ram.c migration_bitmap_sync): once more than 1000 ms have passed
// since the period began, a sync updates dirty-pages-rate and runs the auto-converge trigger
// (migration_trigger_throttle), then starts a new period.
import type { AutoConvergeParameters } from './migration-spec.js';

const PERIOD_MS = 1000;

export interface PeriodOutcome {
  /** New throttle percentage if auto-converge stepped it. */
  throttle?: number;
}

export class DirtyRatePeriod {
  private startMs: number;
  private dirtyPages = 0;
  private transferredAtStart: number;
  /** QEMU's dirty_rate_high_cnt: it is only reset when it fires, never when a period is calm. */
  private highCount = 0;
  dirtyPagesRate = 0;
  throttle = 0;

  constructor(
    startMs: number,
    private readonly autoConverge: AutoConvergeParameters,
    private readonly pageSize: number,
  ) {
    this.startMs = startMs;
    this.transferredAtStart = 0;
  }

  onSync(nowMs: number, newlyDirtyPages: number, transferredTotal: number): PeriodOutcome {
    this.dirtyPages += newlyDirtyPages;
    if (nowMs <= this.startMs + PERIOD_MS) return {};
    const outcome: PeriodOutcome = {};
    const dirtyBytes = this.dirtyPages * this.pageSize;
    const transferred = transferredTotal - this.transferredAtStart;
    // Trigger: dirtied > threshold % of sent, in two periods (not necessarily consecutive).
    if (dirtyBytes > (transferred * this.autoConverge.triggerThreshold) / 100 && ++this.highCount >= 2) {
      this.highCount = 0;
      if (this.autoConverge.enabled) {
        this.throttle =
          this.throttle === 0
            ? this.autoConverge.initial
            : Math.min(this.throttle + this.autoConverge.increment, this.autoConverge.max);
        outcome.throttle = this.throttle;
      }
    }
    this.dirtyPagesRate = (this.dirtyPages * 1000) / (nowMs - this.startMs);
    this.startMs = nowMs;
    this.dirtyPages = 0;
    this.transferredAtStart = transferredTotal;
    return outcome;
  }

  /** The throttle ends with the pre-copy phase (cancel, failure, switchover). */
  stopThrottle(): void {
    this.throttle = 0;
  }
}
