import { toHex, type GuestState } from '@ferry/domain';
import type { MigrationHandle, MigrationResult, MigrationRunEvent } from '@ferry/emulator';
import { completionTimeoutMs } from './emulator-spec.js';
import { downtimeLimitAfter } from './convergence-policy.js';
import { isTerminal, type MigrationState } from './migration-decider.js';
import type { MigrationProgress } from './migration-events.js';
import { reportFailureOf } from '@ferry/observability';

const CANCEL_POLL_MS = 250;
const PROGRESS_EVERY_MS = 1000;

/** What a watch records through and asks (the MigrationExecutor, in production). */
export interface MigrationRecorder {
  recordProgress(state: MigrationState, progress: MigrationProgress): Promise<MigrationState>;
  adjust(
    state: MigrationState,
    change: { downtimeLimitMs?: number; postcopy?: boolean; reason: string },
  ): Promise<void>;
  cancelRequested(migrationId: string): Promise<boolean>;
}

/** Follows one running migration: records progress, applies the policy, honours cancel requests. */
export class MigrationWatch {
  cancelReason: string | undefined;
  failure: string | undefined;
  private stalled = 0;
  private lastRemaining: bigint | undefined;
  private downtimeLimitMs: number;
  private postcopyStarted = false;
  private lastRecorded = Date.now();

  constructor(
    private readonly executor: MigrationRecorder,
    private state: MigrationState,
    private readonly handle: MigrationHandle,
    private readonly guest: GuestState,
    private readonly hasVfio: boolean,
  ) {
    this.downtimeLimitMs = state.policy.downtimeLimitMs;
  }

  async follow(): Promise<MigrationResult> {
    const timeoutMs = completionTimeoutMs(this.ramBytes(), this.state.policy);
    // A bulk pass can take minutes without a dirty sync, so cancel requests are also polled, and
    // progress is recorded about once a second in between syncs (operators watch it move).
    const context = { migrationId: this.state.id };
    const poll = setInterval(
      () => void this.checkCancel().catch(reportFailureOf('migration.cancel-poll', context)),
      CANCEL_POLL_MS,
    );
    const heartbeat = setInterval(
      () => void this.betweenSyncs().catch(reportFailureOf('migration.progress', context)),
      PROGRESS_EVERY_MS,
    );
    try {
      for await (const event of this.handle.events()) {
        if (event.type === 'dirty-sync') await this.onIteration(event);
        if (event.atMs > timeoutMs && !this.postcopyStarted && !this.cancelReason) await this.onTimeout(timeoutMs);
      }
      return await this.handle.result;
    } finally {
      clearInterval(poll);
      clearInterval(heartbeat);
    }
  }

  private async betweenSyncs(): Promise<void> {
    if (Date.now() - this.lastRecorded < PROGRESS_EVERY_MS || this.cancelReason) return;
    const info = this.handle.info();
    if (info.status !== 'active' && info.status !== 'postcopy-active') return;
    await this.record({
      iteration: info.ram.dirtySyncCount,
      status: info.status,
      elapsedMs: info.totalTimeMs,
      transferredBytes: toHex(info.ram.transferredBytes),
      remainingBytes: toHex(info.ram.remainingBytes),
      totalBytes: toHex(info.ram.totalBytes),
      dirtyPagesRate: info.ram.dirtyPagesRate,
      expectedDowntimeMs: info.expectedDowntimeMs,
      downtimeLimitMs: this.downtimeLimitMs,
      cpuThrottlePercentage: info.cpuThrottlePercentage,
      mbps: info.ram.mbps,
    });
  }

  private async record(progress: MigrationProgress): Promise<void> {
    this.lastRecorded = Date.now();
    this.state = await this.executor.recordProgress(this.state, progress);
  }

  private async checkCancel(): Promise<void> {
    if (this.cancelReason || !(await this.executor.cancelRequested(this.state.id))) return;
    this.cancelReason = 'cancelled by operator request';
    this.handle.cancel();
  }

  private ramBytes(): bigint {
    return this.guest.memoryMap.filter((e) => e.kind === 'ram').reduce((sum, e) => sum + (e.end - e.start + 1n), 0n);
  }

  private async onIteration(event: Extract<MigrationRunEvent, { type: 'dirty-sync' }>): Promise<void> {
    const it = event.iteration;
    const info = this.handle.info();
    await this.record({
      iteration: it.iteration,
      status: info.status,
      elapsedMs: event.atMs,
      transferredBytes: toHex(info.ram.transferredBytes),
      remainingBytes: toHex(it.remainingBytes),
      totalBytes: toHex(info.ram.totalBytes),
      dirtyPagesRate: it.dirtyPagesRate,
      expectedDowntimeMs: it.expectedDowntimeMs,
      downtimeLimitMs: this.downtimeLimitMs,
      cpuThrottlePercentage: it.cpuThrottlePercentage,
      mbps: info.ram.mbps,
    });
    if (this.state.cancelRequested && !this.cancelReason) {
      this.cancelReason = 'cancelled by operator request';
      this.handle.cancel();
      return;
    }
    if (isTerminal(this.state)) return;
    // A stalled iteration is one that did not shrink what remains (oVirt's "stalling").
    this.stalled = this.lastRemaining !== undefined && it.remainingBytes >= this.lastRemaining ? this.stalled + 1 : 0;
    this.lastRemaining = it.remainingBytes;
    const limit = downtimeLimitAfter(this.state.policy, this.stalled);
    if (limit > this.downtimeLimitMs) {
      this.downtimeLimitMs = limit;
      this.handle.setParameters({ downtimeLimitMs: limit });
      await this.executor.adjust(this.state, { downtimeLimitMs: limit, reason: `${this.stalled} stalled iterations` });
    }
  }

  abort(reason: string): void {
    if (this.cancelReason) return;
    this.cancelReason = reason;
    this.failure = reason;
    this.handle.cancel();
  }

  private async onTimeout(timeoutMs: number): Promise<void> {
    const seconds = Math.round(timeoutMs / 1000);
    if (this.state.policy.onTimeout === 'postcopy' && !this.hasVfio) {
      this.postcopyStarted = true;
      this.handle.startPostcopy();
      await this.executor.adjust(this.state, {
        postcopy: true,
        reason: `not converged after ${seconds} s: switching to post-copy`,
      });
      return;
    }
    this.cancelReason = `aborted: not converged within the completion timeout (${seconds} s)`;
    this.failure = `did not converge within ${seconds} s (${this.state.policy.completionTimeoutPerGiB} s per GiB); the guest stays on ${this.state.sourceHostId}`;
    this.handle.cancel();
  }
}
