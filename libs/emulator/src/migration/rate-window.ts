// QEMU's 100 ms rate-limit window, which is also its bandwidth-estimate window
// (migration_update_counters resets both): max-bandwidth allows max-bandwidth/10 bytes per
// window; at each window close, bandwidth = bytes sent / time, threshold = bandwidth × downtime-limit.
import { RATE_WINDOW_MS } from './migration-spec.js';

export class RateWindow {
  private startMs: number;
  private bytes = 0;
  private pages = 0;
  /** Bytes per ms measured over the last closed window; 0 before the first one closes. */
  bandwidthPerMs = 0;
  thresholdBytes = 0;
  mbps = 0;
  pagesPerSecond = 0;

  constructor(
    startMs: number,
    /** Live values: migrate-set-parameters may change them mid-migration. */
    public maxBandwidth: number,
    public downtimeLimitMs: number,
  ) {
    this.startMs = startMs;
  }

  /** What max-bandwidth still allows in this window (XFER_LIMIT_RATIO = 1000 / BUFFER_DELAY). */
  budgetLeft(): number {
    return (this.maxBandwidth * RATE_WINDOW_MS) / 1000 - this.bytes;
  }

  record(bytes: number, pages: number): void {
    this.bytes += bytes;
    this.pages += pages;
  }

  /** Closes the window if ≥ 100 ms have passed; returns whether it did. */
  maybeClose(nowMs: number): boolean {
    const elapsed = nowMs - this.startMs;
    if (elapsed < RATE_WINDOW_MS) return false;
    this.bandwidthPerMs = this.bytes / elapsed;
    this.thresholdBytes = this.bandwidthPerMs * this.downtimeLimitMs;
    this.mbps = (this.bytes * 8) / (elapsed / 1000) / 1e6;
    this.pagesPerSecond = this.pages / (elapsed / 1000);
    this.startMs = nowMs;
    this.bytes = 0;
    this.pages = 0;
    return true;
  }
}
