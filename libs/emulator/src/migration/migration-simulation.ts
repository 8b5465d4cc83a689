// The pre-copy / post-copy engine, stepped in ticks of virtual time.
//
// Clock: virtual milliseconds as integer `number`s (exact up to 2^53 ms). The clock advances a
// whole tick at a time; an event inside a tick (a sync, the VM stop) happens at a fractional
// offset computed from the bytes sent so far in the tick and is stamped with the next whole ms.
//
// One tick of pre-copy mirrors QEMU's migration_thread loop: migration_iteration_run (sync
// when the remaining data fits the threshold, then complete, switch to post-copy or go on),
// ram_save_iterate (send pages until the 100 ms window's max-bandwidth budget or the link is
// used up), and migration_update_counters at each 100 ms window.
import { GuestMemory } from '../memory/guest-memory.js';
import { Prng } from '../prng.js';
import { EmulatorSpecError } from '../spec-error.js';
import { PAGE_SIZE } from '../units.js';
import { createWorkload } from '../workload/create-workload.js';
import { pacedGuestMs, vcpuShareOf } from '../workload/pacing.js';
import type { WriteGenerator } from '../workload/write-generators.js';
import { DirtyRatePeriod } from './dirty-rate-period.js';
import { MigrationCounters, type Gauges } from './migration-counters.js';
import type {
  DestinationVmState,
  MigrationRunEvent,
  MigrationInfo,
  MigrationResult,
  MigrationStatus,
  SourceVmState,
  StopReason,
} from './migration-report.js';
import { resolveMigrationSpec, type MigrationSpec, type ResolvedMigrationSpec } from './migration-spec.js';
import { PageSender, wireBytes } from './page-sender.js';
import { PostcopyPhase, type PostcopyContext } from './postcopy-phase.js';
import { postcopyDue } from './postcopy-policy.js';
import { RateWindow } from './rate-window.js';
import { switchoverFixedMs } from './switchover-cost.js';
import { MULTIFD_NORMAL_PAGE_WIRE_BYTES, multifdSyncBytes, multifdSyncWaitMs } from './multifd.js';

/** ram.c MAX_WAIT: ram_save_iterate hands back to the migration thread after 50 ms of sending. */
const MAX_WAIT_MS = 50;

/** Parameters QEMU lets an operator change while a migration runs. */
export interface LiveParameters {
  maxBandwidth?: number;
  downtimeLimitMs?: number;
}

export interface CancelOutcome {
  accepted: boolean;
  reason?: string;
}

export class MigrationSimulation {
  readonly spec: ResolvedMigrationSpec;
  private readonly memory: GuestMemory;
  private readonly workload: WriteGenerator;
  /** The share of the writes auto-converge's throttle slows (workload pacing). */
  private readonly vcpuShare: number;
  private readonly rng: Prng;
  private readonly sender: PageSender;
  private readonly window: RateWindow;
  private readonly period: DirtyRatePeriod;
  private readonly counters: MigrationCounters;
  private readonly listeners: ((event: MigrationRunEvent) => void)[] = [];

  private nowMs = 0;
  private statusValue: MigrationStatus = 'setup';
  private stopReasonValue: StopReason | null = null;
  private source: SourceVmState = 'running';
  private destination: DestinationVmState = 'inmigrate';
  private pendingPages = 0;
  private linkDebt = 0;
  private guestMsIntoTick = 0;
  private expectedDowntimeMs: number;
  private downtimeMs: number | null = null;
  private completedAtMs: number | null = null;
  private postcopyRequested = false;
  private postcopy: PostcopyPhase | null = null;
  /** migration_iteration_run is due at the next chance (see precopyTick). */
  private iterationDue = true;
  private lastIterationAtMs = 0;

  constructor(spec: MigrationSpec) {
    this.spec = resolveMigrationSpec(spec);
    const p = this.spec.parameters;
    this.memory = new GuestMemory(this.spec.ramBlocks, this.spec.initialContent);
    this.workload = createWorkload(this.spec.workload, this.memory.totalPages);
    this.vcpuShare = vcpuShareOf(this.spec.workload.pacing);
    this.rng = new Prng(this.spec.workload.seed ?? 1);
    this.sender =
      p.multifdChannels > 0 ? new PageSender(this.memory, MULTIFD_NORMAL_PAGE_WIRE_BYTES) : new PageSender(this.memory);
    // Windows and periods start when setup ends and the migration turns active.
    this.window = new RateWindow(p.setupMs, p.maxBandwidth, p.downtimeLimitMs);
    this.period = new DirtyRatePeriod(p.setupMs, p.autoConverge, PAGE_SIZE);
    this.counters = new MigrationCounters(p.setupMs);
    // migration_connect(): expected_downtime starts at the downtime limit.
    this.expectedDowntimeMs = p.downtimeLimitMs;
  }

  get status(): MigrationStatus {
    return this.statusValue;
  }

  get now(): number {
    return this.nowMs;
  }

  /** True once the engine stopped: completed, cancelled, failed, or a limit was reached. */
  get finished(): boolean {
    return this.stopReasonValue !== null;
  }

  onEvent(listener: (event: MigrationRunEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Advances one tick (the whole setup phase counts as one). */
  step(): void {
    if (this.finished) return;
    if (this.spec.networkFailureAtMs !== undefined && this.nowMs >= this.spec.networkFailureAtMs) {
      this.failNetwork();
      return;
    }
    if (this.statusValue === 'setup') this.runSetup();
    else if (this.statusValue === 'active') this.precopyTick();
    else if (this.statusValue === 'postcopy-active') this.postcopyTick();
  }

  /** Steps until finished (bounded by the spec's limits). */
  run(): MigrationResult {
    while (!this.finished) this.step();
    return this.result();
  }

  /** migrate_cancel. Refused once post-copy started: the destination already owns the guest. */
  cancel(): CancelOutcome {
    if (this.statusValue === 'setup' || this.statusValue === 'active') {
      this.period.stopThrottle();
      this.source = 'running';
      this.destination = 'shutdown';
      this.stop('cancelled', 'cancelled');
      return { accepted: true };
    }
    if (this.statusValue === 'postcopy-active') {
      // libvirt refuses too ("cannot abort migration in post-copy mode"): neither side has the whole guest.
      return { accepted: false, reason: 'cannot cancel a migration in post-copy mode' };
    }
    return { accepted: false, reason: `migration is ${this.statusValue}` };
  }

  /**
   * migrate-start-postcopy: acted on at the next iteration check. Also revives a migration that
   * stopped at an iteration or time limit (still 'active'): stepping goes on into post-copy.
   */
  startPostcopy(): CancelOutcome {
    if (!this.spec.parameters.postcopy.enabled) return { accepted: false, reason: 'postcopy-ram capability is off' };
    if (this.statusValue !== 'setup' && this.statusValue !== 'active')
      return { accepted: false, reason: `migration is ${this.statusValue}` };
    this.postcopyRequested = true;
    if (this.stopReasonValue === 'iteration-limit' || this.stopReasonValue === 'time-limit')
      this.stopReasonValue = null;
    return { accepted: true };
  }

  /**
   * migrate-set-parameters while migrating: max-bandwidth applies at once (QEMU resets the
   * rate limit), downtime-limit from the next 100 ms window, when the threshold is recomputed.
   */
  setParameters(change: LiveParameters): void {
    if (change.maxBandwidth !== undefined) {
      if (!(change.maxBandwidth > 0)) throw new EmulatorSpecError('INVALID_MIGRATION', 'maxBandwidth must be positive');
      this.window.maxBandwidth = change.maxBandwidth;
    }
    if (change.downtimeLimitMs !== undefined) {
      if (!(change.downtimeLimitMs > 0 && change.downtimeLimitMs <= 2_000_000)) {
        throw new EmulatorSpecError('INVALID_MIGRATION', 'downtimeLimitMs must be within (0, 2000 s]');
      }
      this.window.downtimeLimitMs = change.downtimeLimitMs;
    }
  }

  info(): MigrationInfo {
    return {
      status: this.statusValue,
      totalTimeMs: this.completedAtMs ?? this.nowMs,
      setupTimeMs: Math.min(this.nowMs, this.spec.parameters.setupMs),
      downtimeMs: this.downtimeMs,
      expectedDowntimeMs: this.expectedDowntimeMs,
      cpuThrottlePercentage: this.period.throttle,
      ram: this.counters.ramStats(this.pendingPages, this.memory.totalPages, this.gauges(), this.postcopy?.faults ?? 0),
    };
  }

  result(): MigrationResult {
    return {
      status: this.statusValue,
      stopReason: this.stopReasonValue,
      converged: this.statusValue === 'completed',
      info: this.info(),
      iterations: [...this.counters.iterations],
      throttleSteps: [...this.counters.throttleSteps],
      postcopy: this.postcopy?.report() ?? null,
      source: this.source,
      destination: this.destination,
    };
  }

  // ---- phases -------------------------------------------------------------------------

  /** ram_init_bitmaps: every page starts dirty (the bulk stage), then the first sync. */
  private runSetup(): void {
    const setupMs = this.spec.parameters.setupMs;
    this.workload.advance(setupMs);
    this.nowMs = setupMs;
    this.pendingPages = this.memory.markAllPending();
    this.setStatus('active');
    this.guestMsIntoTick = 0;
    this.sync(0);
  }

  private precopyTick(): void {
    const tickMs = this.spec.tickMs;
    // Calibrated against QEMU 7.2: qemu_file_rate_limit does not pace the stream, it stops it.
    // The migration thread sends at link speed until the 100 ms window's max-bandwidth budget is
    // spent, then sleeps out the window; max-bandwidth is only the window budget below.
    const wirePerMs = this.wireBytesPerMs(Number.POSITIVE_INFINITY);
    const debt = this.linkDebt;
    const linkBudget = wirePerMs * tickMs - debt;
    let used = 0;
    this.guestMsIntoTick = 0;
    for (;;) {
      const offset = Math.min(tickMs, (debt + used) / wirePerMs);
      // Calibrated against QEMU 7.2 (bench/fidelity.ts): migration_thread runs
      // migration_iteration_run once per 100 ms rate-limit window (it sleeps out the rest of a
      // window once max-bandwidth is used up), at once when ram_save_iterate found nothing left
      // to send, and otherwise after MAX_WAIT (50 ms) of sending. Checking at every tick instead
      // synced up to 10x as often near the end (24 syncs where QEMU did 15).
      if (
        !this.iterationDue &&
        this.window.budgetLeft() > 0 &&
        this.nowMs + offset - this.lastIterationAtMs >= MAX_WAIT_MS
      )
        this.iterationDue = true;
      if (this.iterationDue) {
        this.iterationDue = false;
        this.lastIterationAtMs = this.nowMs + offset;
        // QEMU 7.2's migration_iteration_run: ram_save_pending syncs when remaining < threshold
        // (strictly); it completes when nothing or less than the threshold is pending, else
        // switches to post-copy if asked, else sends on. With nothing pending before the first
        // 100 ms window closed (threshold 0) it completes without that sync (idle: 2 syncs).
        const below = () => this.pendingPages * PAGE_SIZE < this.window.thresholdBytes;
        if (below()) {
          this.sync(offset);
          if (this.finished) return;
        }
        if (this.pendingPages === 0 || below()) return this.complete(offset);
        if (this.postcopyRequested) return this.beginPostcopy(offset);
        used += this.multifdSync();
      }
      const budget = Math.min(linkBudget - used, this.window.budgetLeft());
      if (budget <= 0) break;
      if (this.pendingPages === 0) {
        this.iterationDue = true; // ram_save_iterate: no more pages to send
        continue;
      }
      const sent = this.sender.send(budget, this.pendingPages);
      // A count with no pages behind it would spin forever: fail loudly instead.
      if (sent.bytes === 0)
        throw new Error(`emulator invariant broken: ${this.pendingPages} pages counted pending, none found`);
      this.account(sent.bytes, sent.normal, sent.zero);
      used += sent.bytes;
    }
    this.endTick(tickMs, used, wirePerMs);
    this.checkLimits();
  }

  private endTick(tickMs: number, used: number, wirePerMs: number): void {
    this.advanceGuestTo(tickMs);
    this.linkDebt = Math.max(0, this.linkDebt + used - wirePerMs * tickMs);
    this.nowMs += tickMs;
    this.closeWindowIfDue();
  }

  private postcopyTick(): void {
    this.nowMs += this.spec.tickMs;
    const context: PostcopyContext = {
      memory: this.memory,
      workload: this.workload,
      rng: this.rng,
      sender: this.sender,
      pendingPages: () => this.pendingPages,
      account: (bytes, counts) => this.account(bytes, counts.normal, counts.zero),
    };
    const doneAt = this.postcopy!.tick(context, this.nowMs, this.spec.tickMs);
    this.closeWindowIfDue();
    if (doneAt !== null) {
      this.completedAtMs = doneAt;
      this.stop('completed', 'completed');
    }
  }

  // ---- QEMU steps ---------------------------------------------------------------------

  /** migration_bitmap_sync at `offset` ms into the current tick, while pre-copy runs. */
  private sync(offsetMs: number): void {
    this.advanceGuestTo(offsetMs);
    this.memory.applyWrites(this.workload.drain(), this.rng);
    const newlyDirty = this.memory.syncDirtyLog();
    this.pendingPages += newlyDirty;
    const atMs = this.stamp(offsetMs);
    const outcome = this.period.onSync(atMs, newlyDirty, this.counters.transferred);
    if (outcome.throttle !== undefined) {
      this.counters.throttleSteps.push(outcome.throttle);
      this.emit({ type: 'throttle-changed', atMs, percent: outcome.throttle });
    }
    const previousRemaining = this.counters.remainingAtLastSync;
    this.recordSync(atMs, newlyDirty);
    const remainingBytes = this.pendingPages * PAGE_SIZE;
    this.applyPostcopyPolicy(previousRemaining, remainingBytes);
    if (this.counters.syncCount >= this.spec.limits.maxIterations && remainingBytes > this.window.thresholdBytes) {
      this.limitReached('iteration-limit');
    }
  }

  /** The sync done with the guest stopped (ram_save_complete, or post-copy's discard bitmap). */
  private finalSync(offsetMs: number): void {
    this.advanceGuestTo(offsetMs);
    this.memory.applyWrites(this.workload.drain(), this.rng);
    const newlyDirty = this.memory.syncDirtyLog();
    this.pendingPages += newlyDirty;
    this.recordSync(this.stamp(offsetMs), newlyDirty);
  }

  private recordSync(atMs: number, newlyDirty: number): void {
    const report = this.counters.recordSync(atMs, newlyDirty, this.pendingPages * PAGE_SIZE, this.gauges());
    this.emit({ type: 'dirty-sync', atMs, iteration: report });
  }

  private gauges(): Gauges {
    return {
      dirtyPagesRate: this.period.dirtyPagesRate,
      bandwidthPerMs: this.window.bandwidthPerMs,
      thresholdBytes: this.window.thresholdBytes,
      mbps: this.window.mbps,
      pagesPerSecond: this.window.pagesPerSecond,
      expectedDowntimeMs: this.expectedDowntimeMs,
      throttle: this.period.throttle,
    };
  }

  private applyPostcopyPolicy(previousRemaining: number, remaining: number): void {
    const pc = this.spec.parameters.postcopy;
    if (!pc.enabled || this.postcopyRequested) return;
    const passes = this.counters.syncCount - 2; // syncs after the one that ended the bulk pass
    if (postcopyDue(pc, passes, previousRemaining, remaining)) this.postcopyRequested = true;
  }

  /** migration_completion: stop the guest, final sync, send the rest and the device state at link speed. */
  private complete(offsetMs: number): void {
    this.finalSync(offsetMs); // ram_save_complete; the guest is stopped from here on
    const stopAt = this.nowMs + offsetMs;
    const pages = this.memory.pendingByContent();
    const ramBytes = wireBytes(pages, this.sender.normalPageBytes);
    this.account(ramBytes, pages.normal, pages.zero);
    this.memory.clearPending();
    this.pendingPages = 0;
    const syncBytes = this.multifdSync();
    const bytes = ramBytes + Number(this.spec.parameters.deviceStateBytes) + syncBytes;
    // Not held to max-bandwidth: QEMU lifts the rate limit for the final stage.
    this.downtimeMs = Math.ceil(bytes / this.wireBytesPerMs(Number.POSITIVE_INFINITY) + this.switchoverFixedMs());
    this.completedAtMs = Math.ceil(stopAt) + this.downtimeMs;
    this.period.stopThrottle();
    this.source = 'postmigrate';
    this.destination = 'running';
    this.stop('completed', 'completed');
  }

  /** postcopy_start: stop, final precopy sync (the discard bitmap), device state, destination runs. */
  private beginPostcopy(offsetMs: number): void {
    const stopAt = this.stamp(offsetMs);
    this.finalSync(offsetMs);
    const deviceBytes = Number(this.spec.parameters.deviceStateBytes);
    this.downtimeMs = Math.ceil(deviceBytes / this.wireBytesPerMs(Number.POSITIVE_INFINITY) + this.switchoverFixedMs());
    const cap = this.spec.parameters.postcopy.maxBandwidth;
    this.postcopy = new PostcopyPhase(
      stopAt,
      stopAt + this.downtimeMs,
      BigInt(this.pendingPages) * BigInt(PAGE_SIZE),
      this.wireBytesPerMs(cap !== undefined && cap > 0 ? cap : Number.POSITIVE_INFINITY),
    );
    this.period.stopThrottle();
    this.source = 'postmigrate';
    this.destination = 'running';
    this.nowMs += this.spec.tickMs; // the rest of this tick is part of the switchover
    this.setStatus('postcopy-active');
  }

  private failNetwork(): void {
    if (this.statusValue === 'postcopy-active') {
      // The guest runs on the destination but part of its memory is still on the source.
      this.destination = 'paused';
      this.stop('postcopy-paused', 'network-failure');
      return;
    }
    this.period.stopThrottle();
    this.source = 'running';
    this.destination = 'shutdown';
    this.stop('failed', 'network-failure');
  }

  private limitReached(reason: 'iteration-limit' | 'time-limit'): void {
    if (this.spec.parameters.postcopy.enabled && this.spec.parameters.postcopy.switchWhenNotConverging) {
      this.postcopyRequested = true;
      return;
    }
    this.stopReasonValue = reason; // status stays 'active': the caller decides what to do
  }

  private checkLimits(): void {
    const timeout = this.spec.limits.timeoutMs;
    if (timeout !== undefined && this.nowMs >= timeout && !this.finished) this.limitReached('time-limit');
  }

  // ---- helpers ------------------------------------------------------------------------

  /**
   * multifd_send_sync_main at the end of a ram_save_iterate or of the final stage (multifd.ts):
   * the SYNC packets' bytes, then the wait for the channels to drain, as link time. Returns the
   * link bytes the stall stands for (0 without multifd).
   */
  private multifdSync(): number {
    const p = this.spec.parameters;
    if (p.multifdChannels === 0) return 0;
    const bytes = multifdSyncBytes(p.multifdChannels);
    this.account(bytes, 0, 0);
    return bytes + multifdSyncWaitMs(p.perChannelBandwidth) * this.wireBytesPerMs(Number.POSITIVE_INFINITY);
  }

  /** Stop, final sync, device save/load, restart (switchover-cost.ts), plus any extra the spec adds. */
  private switchoverFixedMs(): number {
    const p = this.spec.parameters;
    return switchoverFixedMs(p.switchover, this.memory.totalPages) + p.switchoverOverheadMs;
  }

  /** Bytes per ms the sender can put on the wire: link, multifd streams, and a rate cap. */
  private wireBytesPerMs(rateCap: number): number {
    const p = this.spec.parameters;
    let perSecond = Math.min(p.linkBandwidth, rateCap);
    if (p.perChannelBandwidth !== undefined)
      perSecond = Math.min(perSecond, p.perChannelBandwidth * Math.max(1, p.multifdChannels));
    return perSecond / 1000;
  }

  private account(bytes: number, normal: number, zero: number): void {
    this.counters.add(bytes, normal, zero);
    this.pendingPages -= normal + zero;
    if (this.statusValue === 'active' || this.statusValue === 'postcopy-active')
      this.window.record(bytes, normal + zero);
  }

  /** Lets the guest run up to `offsetMs` into the tick, its vCPU-bound writes slowed by the throttle. */
  private advanceGuestTo(offsetMs: number): void {
    const delta = offsetMs - this.guestMsIntoTick;
    if (delta <= 0) return;
    this.workload.advance(pacedGuestMs(delta, this.period.throttle, this.vcpuShare));
    this.guestMsIntoTick = offsetMs;
  }

  private closeWindowIfDue(): void {
    if (!this.window.maybeClose(this.nowMs)) return;
    // migration_update_counters resets the rate limit; the thread wakes and iterates again.
    this.iterationDue = true;
    // expected_downtime = bytes dirty at the last sync / bandwidth, once anything was sent.
    if (this.period.dirtyPagesRate > 0 && this.counters.transferred > 10_000 && this.window.bandwidthPerMs > 0) {
      this.expectedDowntimeMs = Math.round(this.counters.remainingAtLastSync / this.window.bandwidthPerMs);
    }
  }

  private stamp(offsetMs: number): number {
    return this.nowMs + Math.ceil(offsetMs);
  }

  private stop(status: MigrationStatus, reason: StopReason): void {
    this.stopReasonValue = reason;
    this.setStatus(status);
  }

  private setStatus(to: MigrationStatus): void {
    const from = this.statusValue;
    if (from === to) return;
    this.statusValue = to;
    this.emit({ type: 'status-changed', atMs: this.completedAtMs ?? this.nowMs, from, to });
  }

  private emit(event: MigrationRunEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
