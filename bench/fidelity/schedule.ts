// A stepwise downtime schedule, applied the way Ferry's migration watch applies a policy's
// downtimeSchedule (libs/orchestration migration-watch.ts): a sync whose remaining bytes did not
// shrink is a stalled iteration; after N consecutive ones the limit rises to that step's value.
import type { MigrationRunEvent } from '@ferry/emulator';
import type { DowntimeStep } from './cases.js';

export class DowntimeScheduleDriver {
  private stalled = 0;
  private lastRemaining: bigint | undefined;
  private limitMs: number;
  /** The limits set, in order, with the sync count that set them. */
  readonly steps: { atSync: number; downtimeLimitMs: number }[] = [];

  constructor(
    private readonly schedule: readonly DowntimeStep[],
    initialLimitMs: number,
    private readonly apply: (downtimeLimitMs: number) => void,
  ) {
    this.limitMs = initialLimitMs;
  }

  onEvent(event: MigrationRunEvent): void {
    if (event.type !== 'dirty-sync') return;
    const it = event.iteration;
    this.stalled = this.lastRemaining !== undefined && it.remainingBytes >= this.lastRemaining ? this.stalled + 1 : 0;
    this.lastRemaining = it.remainingBytes;
    let limit = this.limitMs;
    for (const step of this.schedule)
      if (this.stalled >= step.afterStalledIterations) limit = Math.max(limit, step.downtimeLimitMs);
    if (limit > this.limitMs) {
      this.limitMs = limit;
      this.steps.push({ atSync: it.iteration, downtimeLimitMs: limit });
      this.apply(limit);
    }
  }
}
