// A migration's progress as one line: redrawn in place on a terminal, one line per event elsewhere.
import type { Ctx } from './cli.js';
import type { MigrationProgress } from '@ferry/orchestration';
import { bytes, duration } from './format.js';

/** The data of a MigrationProgressed event (a type only: the CLI loads nothing of the orchestration). */
export type Progress = MigrationProgress;

const big = (hex: string) => {
  try {
    return BigInt(hex);
  } catch {
    return 0n;
  }
};

/** How much of the guest's RAM is across: (total − remaining) / total. */
export function percentDone(p: Progress): number {
  const total = big(p.totalBytes);
  if (total === 0n) return 0;
  const done = total - big(p.remainingBytes);
  return Math.max(0, Math.min(100, Number((done * 1000n) / total) / 10));
}

function rate(pagesPerSecond: number): string {
  return pagesPerSecond >= 10_000 ? `${(pagesPerSecond / 1000).toFixed(0)}k` : String(Math.round(pagesPerSecond));
}

export function progressText(p: Progress): string {
  return [
    `${percentDone(p).toFixed(0).padStart(3)}%`,
    `${bytes(p.transferredBytes)}/${bytes(p.totalBytes)} sent`,
    `${bytes(p.remainingBytes)} left`,
    `dirty ${rate(p.dirtyPagesRate)} pages/s`,
    `downtime ~${duration(p.expectedDowntimeMs)} (limit ${duration(p.downtimeLimitMs)})`,
    `throttle ${p.cpuThrottlePercentage}%`,
    `iter ${p.iteration}`,
    `${Math.round(p.mbps)} Mbps`,
  ].join('  ');
}

export function bar(percent: number, width = 20): string {
  const filled = Math.round((percent / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/**
 * Writes event lines and progress. On a terminal the progress line is redrawn with "\r" and
 * messages are printed above it; elsewhere every progress event is a line of its own.
 */
export class ProgressPrinter {
  private live = false;

  constructor(
    private readonly ctx: Ctx,
    /** --json keeps stdout for the final document; the running commentary goes to stderr. */
    private readonly toStderr: boolean,
  ) {}

  private get redraw(): boolean {
    return this.ctx.io.tty && !this.toStderr;
  }

  line(text: string): void {
    if (this.live) this.ctx.io.stdout.write('\r\x1b[K');
    this.live = false;
    (this.toStderr ? this.ctx.err : this.ctx.out)(text);
  }

  progress(p: Progress): void {
    if (!this.redraw) {
      this.line(`progress  ${progressText(p)}  (${p.status}, ${duration(p.elapsedMs)})`);
      return;
    }
    const text = `${bar(percentDone(p))} ${progressText(p)}`;
    const columns = this.ctx.io.columns || 200;
    this.ctx.io.stdout.write(`\r\x1b[K${text.slice(0, columns - 1)}`);
    this.live = true;
  }

  end(): void {
    if (this.live) this.ctx.io.stdout.write('\n');
    this.live = false;
  }
}
