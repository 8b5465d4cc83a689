// Post-copy after the switch: the destination guest runs, each write to a page it does not
// have yet is a remote page fault served first (QEMU's postcopy-requests), and the source
// pushes the remaining pages in the background with whatever the link has left.
// max-postcopy-bandwidth defaults to 0 = unlimited, so the link is the limit.
import type { GuestMemory, PageCounts } from '../memory/guest-memory.js';
import type { Prng } from '../prng.js';
import type { WriteGenerator } from '../workload/write-generators.js';
import type { PostcopyReport } from './migration-report.js';
import { wireBytes, type PageSender } from './page-sender.js';

export interface PostcopyContext {
  readonly memory: GuestMemory;
  readonly workload: WriteGenerator;
  readonly rng: Prng;
  readonly sender: PageSender;
  pendingPages(): number;
  account(bytes: number, counts: PageCounts): void;
}

export class PostcopyPhase {
  private faultCount = 0;
  private faultBytes = 0n;
  private backgroundBytes = 0n;
  private durationMs = 0;
  private linkDebt = 0;

  constructor(
    private readonly startedAtMs: number,
    /** When the destination starts running: after the switchover pause. */
    private readonly resumeAtMs: number,
    private readonly remainingAtSwitchBytes: bigint,
    private readonly wireBytesPerMs: number,
  ) {}

  get faults(): number {
    return this.faultCount;
  }

  /** Simulates the tick that ends at `tickEndMs`; returns when the last page arrived, if it did. */
  tick(ctx: PostcopyContext, tickEndMs: number, tickMs: number): number | null {
    if (tickEndMs <= this.resumeAtMs) return null; // device state still crossing; the guest is paused
    const ranMs = Math.min(tickMs, tickEndMs - this.resumeAtMs);
    const capacity = this.wireBytesPerMs * ranMs;
    const debt = this.linkDebt;
    // The destination guest runs unthrottled (the throttle stayed on the source).
    ctx.workload.advance(ranMs);
    const faults = ctx.memory.takeTouchedPending(ctx.workload.drain(), ctx.rng);
    const faultBytes = wireBytes(faults);
    ctx.account(faultBytes, faults);
    this.faultCount += faults.normal + faults.zero;
    this.faultBytes += BigInt(faultBytes);
    let used = faultBytes;
    const budget = capacity - debt - used;
    if (budget > 0 && ctx.pendingPages() > 0) {
      const sent = ctx.sender.send(budget, ctx.pendingPages());
      if (sent.bytes === 0)
        throw new Error(`emulator invariant broken: ${ctx.pendingPages()} pages counted pending, none found`);
      ctx.account(sent.bytes, sent);
      this.backgroundBytes += BigInt(sent.bytes);
      used += sent.bytes;
    }
    this.linkDebt = Math.max(0, debt + used - capacity);
    if (ctx.pendingPages() > 0) return null;
    const lastByteAt = Math.ceil(tickEndMs - ranMs + (debt + used) / this.wireBytesPerMs);
    this.durationMs = lastByteAt - this.startedAtMs;
    return lastByteAt;
  }

  report(): PostcopyReport {
    return {
      startedAtMs: this.startedAtMs,
      remainingAtSwitchBytes: this.remainingAtSwitchBytes,
      faultCount: this.faultCount,
      faultBytes: this.faultBytes,
      backgroundBytes: this.backgroundBytes,
      durationMs: this.durationMs,
    };
  }
}
