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
    const batches = ctx.workload.drain();
    // A random write to a missing page faults. A sequential run faults on its first missing page
    // only: QEMU's get_queued_page (migration/ram.c) points the background search at the page
    // just requested ("We want the background search to continue from the queued page since the
    // guest is likely to want other pages near to the page it just requested"), so the sender,
    // faster than the guest, stays ahead of it through the rest of the run.
    const runs = batches.filter((b) => b.kind === 'range');
    const faults = ctx.memory.takeTouchedPending(
      batches.filter((b) => b.kind === 'random'),
      ctx.rng,
    );
    for (const run of runs) {
      const first = ctx.memory.firstPendingPage(run.start, run.end);
      if (first < 0) continue;
      const taken = ctx.memory.takeTouchedPending([{ kind: 'range', start: first, end: first + 1 }], ctx.rng);
      faults.normal += taken.normal;
      faults.zero += taken.zero;
      faults.lastPage = Math.max(faults.lastPage, first);
    }
    if (faults.lastPage >= 0) ctx.sender.seek(faults.lastPage + 1);
    let used = this.fault(ctx, faults);
    const budget = capacity - debt - used;
    if (budget > 0 && ctx.pendingPages() > 0) {
      const sent = ctx.sender.send(budget, ctx.pendingPages());
      if (sent.bytes === 0)
        throw new Error(`emulator invariant broken: ${ctx.pendingPages()} pages counted pending, none found`);
      ctx.account(sent.bytes, sent);
      this.backgroundBytes += BigInt(sent.bytes);
      used += sent.bytes;
    }
    // What of a run the background did not reach this tick, the guest got to first: faults.
    if (runs.length > 0) used += this.fault(ctx, ctx.memory.takeTouchedPending(runs, ctx.rng));
    this.linkDebt = Math.max(0, debt + used - capacity);
    if (ctx.pendingPages() > 0) return null;
    const lastByteAt = Math.ceil(tickEndMs - ranMs + (debt + used) / this.wireBytesPerMs);
    this.durationMs = lastByteAt - this.startedAtMs;
    return lastByteAt;
  }

  /** Remote page faults served ahead of the background stream; returns their bytes on the wire. */
  private fault(ctx: PostcopyContext, pages: PageCounts): number {
    const bytes = wireBytes(pages);
    if (bytes === 0) return 0;
    ctx.account(bytes, pages);
    this.faultCount += pages.normal + pages.zero;
    this.faultBytes += BigInt(bytes);
    return bytes;
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
