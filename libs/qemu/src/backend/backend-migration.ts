// One emulator MigrationSpec run on real QEMU: a source running the dirtying test guest, a
// destination with the same configuration, and QEMU's query-migrate numbers handed out in the
// emulator's shapes (events, info, result). Both QEMUs are stopped when it ends, whatever happened.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  EmulatorSpecError,
  EventHistory,
  postcopyDue,
  type CancelOutcome,
  type IterationReport,
  type LiveParameters,
  type MigrationRunEvent,
  type MigrationHandle,
  type MigrationInfo,
  type MigrationResult,
  type MigrationSpec,
  type MigrationStatus,
  type StopReason,
} from '@ferry/emulator';
import {
  buildTestGuest,
  measuredDirtyRate,
  parseGuestProgress,
  parseGuestStatus,
  TEST_GUEST_STATUS_ADDRESS,
  testGuestAppend,
} from '../guest/test-guest.js';
import type { Accelerator } from '../process/accelerator.js';
import { QemuVm, type RunState } from '../process/qemu-vm.js';
import type { QemuVmConfig } from '../process/vm-config.js';
import { planBackendGuest, type BackendGuestPlan } from './backend-guest.js';
import { backendParametersFor, type BackendParameters } from './backend-parameters.js';
import { initialInfo, iterationReportOf, migrationInfoOf, type RawMigrationInfo } from './backend-report.js';
import { destinationState, errorOf, postcopyReportOf } from './backend-result.js';
import { guestStillWriting, waitForBoot, waitForFill } from './guest-readiness.js';
import { startMigrationDestination } from './migration-destination.js';
import { isEndStatus, type QmpMigrationStatus as QemuStatus } from './migration-progress.js';
import {
  startMigration,
  type QmpMigrationHandle as QemuMigration,
  type QmpMigrationOutcome,
} from './qemu-migration.js';
import { downtimeFigures, type SwitchoverEvents } from './switchover-downtime.js';
import { reportBackgroundError } from '@ferry/observability';

export interface QemuMigrationOptions {
  maxMemoryMiB: number;
  pollIntervalMs: number;
  fillTimeoutMs: number;
  accelerator?: Accelerator;
  /** Start the destination differently from the source (rehearses a mismatch). */
  destinationOverrides?: Partial<QemuVmConfig>;
}

export interface QemuMigrationDetails {
  memoryMiB: number;
  workingSetMiB: number;
  pagesPerSecond: number;
  /** Where the real run differs from the spec (caps, approximated workloads, dropped options). */
  notes: string[];
  /** How long the guest took to write its working set before migrating; null without waiting. */
  fillMs: number | null;
  /** Pages per second the guest itself measured (its debugcon) while migrating. */
  measuredDirtyRate: number | null;
  /**
   * Pages per second the guest measured in the last seconds before migrating (unthrottled). A
   * vCPU-bound guest's rate follows the CPU time it gets, so on a busy host it can differ from
   * the spec's; a comparison then gives the emulator this rate.
   */
  rateBeforeMigrating: number | null;
  /** How the guest paced its writes (the test guest's pace= parameter). */
  pacing: 'clock' | 'vcpu';
  /**
   * Where the guest's sweep stood when `migrate` was sent, in pages into its working set (read
   * from the guest's memory); null when it was not read. An emulator run given this as the
   * sweep's startOffsetBytes starts from the same phase.
   */
  sweepPhasePages: number | null;
  sourceRunState: RunState;
  destinationRunState: RunState;
  /** After a failure or cancel: whether the guest went on writing on the source. */
  sourceKeptRunning: boolean | null;
  destinationStderr: string;
}

export interface QemuMigrationResult extends MigrationResult {
  /** QEMU's own words when it failed: the source's error-desc, then the destination's output. */
  error: string | null;
  qemu: QemuMigrationDetails;
}

export interface QemuMigrationHandle extends MigrationHandle {
  readonly result: Promise<QemuMigrationResult>;
}

/** The emulator's default (resolveMigrationSpec): give up after this many syncs without converging. */
const DEFAULT_MAX_ITERATIONS = 30;
let nextVmNumber = 1;

interface End {
  status: 'completed' | 'failed' | 'cancelled';
  error: string | null;
  sourceRunState: RunState;
  destinationRunState: RunState;
  destinationStderr: string;
}

export class QemuBackedMigration implements QemuMigrationHandle {
  readonly result: Promise<QemuMigrationResult>;
  private readonly history = new EventHistory((error) =>
    reportBackgroundError('qemu.listener', error, { listener: 'migration event' }),
  );
  private readonly params: BackendParameters;
  private plan: BackendGuestPlan | undefined;
  private current: MigrationInfo;
  private lastRaw: RawMigrationInfo = {};
  private lastSync: MigrationInfo | undefined;
  private readonly iterations: IterationReport[] = [];
  private readonly throttleSteps: number[] = [];
  private downtimeLimitMs: number;
  private limit: { reason: StopReason; info: MigrationInfo } | undefined;
  private finished = false;
  private cancelRequested = false;
  private postcopyRequested = false;
  private postcopyStartedAtMs: number | undefined;
  private migrateStartedAt = 0;
  private pendingLive: Record<string, number> = {};
  private source: QemuVm | undefined;
  private destination: QemuVm | undefined;
  private qemu: QemuMigration | undefined;
  /** Fires on cancel, so waiting for the guest to boot or fill stops at once. */
  private readonly startup = new AbortController();
  private sampling: Promise<unknown> = Promise.resolve();
  private fillMs: number | null = null;
  private guestPagesAtStart = 0;
  private rateBeforeMigrating: number | null = null;
  private sweepPhasePages: number | null = null;
  private readonly switchover: SwitchoverEvents = {};

  constructor(
    private readonly spec: MigrationSpec,
    private readonly options: QemuMigrationOptions,
  ) {
    this.params = backendParametersFor(spec);
    this.downtimeLimitMs = this.params.downtimeLimitMs;
    const total = spec.ramBlocks.reduce((sum, block) => sum + block.size, 0n);
    this.current = initialInfo(total, this.downtimeLimitMs);
    this.result = this.run();
  }

  onProgress(listener: (event: MigrationRunEvent) => void): () => void {
    return this.history.subscribe(listener);
  }

  events(): AsyncIterableIterator<MigrationRunEvent> {
    return this.history.iterate();
  }

  info(): MigrationInfo {
    return this.limit?.info ?? this.current;
  }

  /** migrate_cancel; the source keeps running. Refused in post-copy, as the emulator does. */
  cancel(): CancelOutcome {
    if (this.finished || this.limit) return { accepted: false, reason: `migration is ${this.info().status}` };
    if (this.current.status === 'postcopy-active' || this.current.status === 'postcopy-paused') {
      return { accepted: false, reason: 'cannot cancel a migration in post-copy mode' };
    }
    this.cancelRequested = true;
    if (this.qemu) this.qemu.cancel().catch((error: unknown) => this.warn('migrate_cancel', error));
    this.startup.abort();
    return { accepted: true };
  }

  /** migrate-start-postcopy; QEMU switches at its next iteration check. */
  startPostcopy(): CancelOutcome {
    if (!this.params.postcopy.enabled) return { accepted: false, reason: 'postcopy-ram capability is off' };
    if (this.finished || this.limit || (this.current.status !== 'setup' && this.current.status !== 'active')) {
      return { accepted: false, reason: `migration is ${this.info().status}` };
    }
    this.requestPostcopy();
    return { accepted: true };
  }

  /** migrate-set-parameters on the source: max-bandwidth at once, downtime-limit from QEMU's next window. */
  setParameters(change: LiveParameters): void {
    const args: Record<string, number> = {};
    if (change.maxBandwidth !== undefined) {
      if (!(change.maxBandwidth > 0)) throw new EmulatorSpecError('INVALID_MIGRATION', 'maxBandwidth must be positive');
      args['max-bandwidth'] = Math.floor(change.maxBandwidth);
    }
    if (change.downtimeLimitMs !== undefined) {
      if (!(change.downtimeLimitMs > 0 && change.downtimeLimitMs <= 2_000_000)) {
        throw new EmulatorSpecError('INVALID_MIGRATION', 'downtimeLimitMs must be within (0, 2000 s]');
      }
      args['downtime-limit'] = Math.round(change.downtimeLimitMs);
      this.downtimeLimitMs = args['downtime-limit'];
    }
    if (this.qemu && this.source && !this.finished) {
      this.source.qmp
        .execute('migrate-set-parameters', args)
        .catch((error: unknown) => this.warn('migrate-set-parameters', error));
    } else {
      Object.assign(this.pendingLive, args);
    }
  }

  // ---- the run ------------------------------------------------------------------------

  private async run(): Promise<QemuMigrationResult> {
    await new Promise((resolve) => setImmediate(resolve)); // let the caller subscribe first
    try {
      return await this.finish(await this.migrate());
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return this.finish({
        status: 'failed',
        error: message,
        sourceRunState: await this.runState(this.source),
        destinationRunState: await this.runState(this.destination),
        destinationStderr: this.destination?.stderr ?? '',
      });
    } finally {
      await Promise.all([this.source?.stop({ graceMs: 2000 }), this.destination?.stop({ graceMs: 2000 })]);
      this.history.close();
    }
  }

  private async migrate(): Promise<End> {
    const plan = planBackendGuest(this.spec, this.options.maxMemoryMiB);
    this.plan = plan;
    const config: QemuVmConfig = {
      name: `ferry-migration-${nextVmNumber++}`,
      memoryMiB: plan.memoryMiB,
      kernel: await buildTestGuest(),
      append: testGuestAppend({
        workingSetMiB: plan.workingSetMiB,
        pagesPerSecond: plan.pagesPerSecond,
        pacing: plan.pacing,
      }),
      debugcon: true,
      ...(this.options.accelerator ? { accelerator: this.options.accelerator } : {}),
    };
    const source = (this.source = await QemuVm.start(config));
    await waitForBoot(source, this.startup.signal);
    if (plan.waitForFill && !this.cancelRequested)
      this.fillMs = await waitForFill(source, plan, this.options.fillTimeoutMs, this.startup.signal);
    if (this.cancelRequested) return this.cancelledBeforeMigrating();
    this.destination = await startMigrationDestination(source, this.options.destinationOverrides);
    if (this.cancelRequested) return this.cancelledBeforeMigrating();
    if (Object.keys(this.params.sourceParameters).length > 0)
      await source.qmp.execute('migrate-set-parameters', this.params.sourceParameters);
    // MIGRATION_PASS comes with every dirty-bitmap sync: poll at once for a fresh iteration report.
    const stopPasses = source.qmp.on('MIGRATION_PASS', () => void this.sample());
    const stopEvents = source.qmp.on('MIGRATION', (event) => {
      if (event.data.status === 'postcopy-active') this.postcopyStartedAtMs ??= Date.now() - this.migrateStartedAt;
    });
    // The switchover as the QEMUs time it themselves (switchover-downtime.ts).
    const stopStops = source.qmp.on('STOP', (event) => {
      if (this.switchover.destinationResumedUs === undefined) this.switchover.sourceStoppedUs = event.timestampUs;
    });
    const stopResumes = this.destination.qmp.on('RESUME', (event) => {
      this.switchover.destinationResumedUs ??= event.timestampUs;
    });
    try {
      const before = parseGuestProgress(source.readDebugcon());
      this.guestPagesAtStart = before.at(-1)?.pages ?? 0;
      // The last few seconds before migrating: what the guest wrote unthrottled.
      const recent = before.slice(-4);
      this.rateBeforeMigrating = recent.length > 1 ? Math.round(measuredDirtyRate(recent) ?? 0) : null;
      if (plan.pagesPerSecond > 0) this.sweepPhasePages = await this.readSweepPhase(source);
      this.migrateStartedAt = Date.now();
      const qemu = (this.qemu = await startMigration({
        source,
        destination: this.destination,
        parameters: this.params.parameters,
        pollIntervalMs: this.options.pollIntervalMs,
      }));
      if (Object.keys(this.pendingLive).length > 0)
        await source.qmp.execute('migrate-set-parameters', this.pendingLive);
      if (this.cancelRequested) qemu.cancel().catch((error: unknown) => this.warn('migrate_cancel', error));
      else if (this.postcopyRequested)
        qemu.startPostcopy().catch((error: unknown) => this.warn('migrate-start-postcopy', error));
      for (;;) {
        const status = await this.sample();
        if (status === undefined || isEndStatus(status)) break;
        await sleep(this.options.pollIntervalMs);
      }
      return this.ended(await qemu.outcome);
    } finally {
      stopPasses();
      stopEvents();
      stopStops();
      stopResumes();
    }
  }

  /** The guest's sweep position, from its status dwords (HMP xp); null if unreadable. */
  private async readSweepPhase(source: QemuVm): Promise<number | null> {
    try {
      const xp = await source.qmp.execute<string>('human-monitor-command', {
        'command-line': `xp /2wx ${TEST_GUEST_STATUS_ADDRESS}`,
      });
      return parseGuestStatus(xp)?.cursor ?? null;
    } catch {
      return null;
    }
  }

  // ---- polling ------------------------------------------------------------------------

  /** One query-migrate at a time; returns QEMU's status, or undefined once the source stops answering. */
  private sample(): Promise<QemuStatus | undefined> {
    const next = this.sampling.then(() => this.takeSample());
    // The caller gets any failure from `next`; the next sample only waits for this one to settle.
    this.sampling = Promise.allSettled([next]).then(() => undefined);
    return next;
  }

  private async takeSample(): Promise<QemuStatus | undefined> {
    if (!this.source || this.finished) return undefined;
    let raw: RawMigrationInfo;
    try {
      raw = await this.source.qmp.execute<RawMigrationInfo>('query-migrate');
    } catch {
      return undefined; // the source died or quit: the outcome says why
    }
    this.absorb(raw);
    return raw.status ?? 'none';
  }

  private absorb(raw: RawMigrationInfo): void {
    if (this.limit) return; // frozen where the limit was reached; QEMU is only being cancelled
    this.lastRaw = raw;
    const before = this.current;
    const info = migrationInfoOf(raw, before);
    this.current = info;
    const ending = isEndStatus(info.status);
    if (!ending) this.statusChanged(before.status, info.status, info.totalTimeMs);
    if (info.ram.dirtySyncCount > before.ram.dirtySyncCount) this.onSync(info, before);
    if (info.cpuThrottlePercentage !== before.cpuThrottlePercentage && info.cpuThrottlePercentage > 0) {
      this.throttleSteps.push(info.cpuThrottlePercentage);
      this.history.emit({ type: 'throttle-changed', atMs: info.totalTimeMs, percent: info.cpuThrottlePercentage });
    }
    if (ending) this.statusChanged(before.status, info.status, info.totalTimeMs);
    const timeout = this.spec.limits?.timeoutMs;
    if (timeout !== undefined && info.totalTimeMs >= timeout && (info.status === 'setup' || info.status === 'active'))
      this.limitReached('time-limit');
  }

  private onSync(info: MigrationInfo, before: MigrationInfo): void {
    const previous = this.iterations.at(-1);
    const report = iterationReportOf(info, before, this.lastSync, this.downtimeLimitMs);
    this.lastSync = info;
    this.iterations.push(report);
    this.history.emit({ type: 'dirty-sync', atMs: info.totalTimeMs, iteration: report });
    if (info.status !== 'active') return;
    this.applyPostcopyPolicy(previous?.remainingBytes, report.remainingBytes);
    const maxIterations = this.spec.limits?.maxIterations ?? DEFAULT_MAX_ITERATIONS;
    if (report.iteration >= maxIterations && report.remainingBytes > report.thresholdBytes)
      this.limitReached('iteration-limit');
  }

  /** The spec's post-copy policy, as the emulator applies it at each sync. */
  private applyPostcopyPolicy(previousRemaining: bigint | undefined, remaining: bigint): void {
    const pc = this.params.postcopy;
    if (!pc.enabled || this.postcopyRequested) return;
    const passes = this.current.ram.dirtySyncCount - 2; // syncs after the one that ended the bulk pass
    // Byte counts below 2^53 convert to numbers exactly.
    const previous = previousRemaining === undefined ? undefined : Number(previousRemaining);
    if (postcopyDue(pc, passes, previous, Number(remaining))) this.requestPostcopy();
  }

  private requestPostcopy(): void {
    if (this.postcopyRequested) return;
    this.postcopyRequested = true;
    this.qemu?.startPostcopy().catch((error: unknown) => this.warn('migrate-start-postcopy', error));
  }

  /** As in the emulator, a limit stops the run while still 'active'; here QEMU is then cancelled. */
  private limitReached(reason: 'time-limit' | 'iteration-limit'): void {
    if (this.limit) return;
    if (this.params.postcopy.enabled && this.params.postcopy.switchWhenNotConverging) {
      this.requestPostcopy();
      return;
    }
    this.limit = { reason, info: this.current };
    this.qemu?.cancel().catch((error: unknown) => this.warn('migrate_cancel', error));
  }

  private statusChanged(from: MigrationStatus, to: MigrationStatus, atMs: number): void {
    if (from !== to) this.history.emit({ type: 'status-changed', atMs, from, to });
  }

  // ---- the end ------------------------------------------------------------------------

  private ended(outcome: QmpMigrationOutcome): End {
    return {
      status: outcome.status,
      error: errorOf(outcome),
      sourceRunState: outcome.sourceRunState,
      destinationRunState: outcome.destinationRunState,
      destinationStderr: outcome.destinationStderr,
    };
  }

  private async cancelledBeforeMigrating(): Promise<End> {
    return {
      status: 'cancelled',
      error: null,
      sourceRunState: await this.runState(this.source),
      destinationRunState: await this.runState(this.destination),
      destinationStderr: this.destination?.stderr ?? '',
    };
  }

  private async finish(end: End): Promise<QemuMigrationResult> {
    await this.sampling;
    this.finished = true;
    const limit = this.limit;
    const status: MigrationStatus = limit ? limit.info.status : end.status;
    const stopReason: StopReason = limit ? limit.reason : end.status === 'failed' ? 'network-failure' : end.status;
    if (!limit) {
      this.statusChanged(this.current.status, status, this.current.totalTimeMs);
      this.current = { ...this.current, status };
    }
    const writing =
      this.source && status !== 'completed' && end.sourceRunState === 'running' && (this.plan?.pagesPerSecond ?? 0) > 0;
    const sourceKeptRunning = writing ? await guestStillWriting(this.source!) : null;
    const plan = this.plan;
    return {
      status,
      stopReason,
      converged: status === 'completed',
      info: this.checkedInfo(),
      iterations: [...this.iterations],
      throttleSteps: [...this.throttleSteps],
      postcopy: postcopyReportOf(this.postcopyStartedAtMs, this.iterations, this.lastRaw, this.current.totalTimeMs),
      source: end.sourceRunState === 'postmigrate' ? 'postmigrate' : 'running',
      destination: destinationState(end.destinationRunState),
      error: end.error,
      qemu: {
        memoryMiB: plan?.memoryMiB ?? 0,
        workingSetMiB: plan?.workingSetMiB ?? 0,
        pagesPerSecond: plan?.pagesPerSecond ?? 0,
        notes: [...(plan?.notes ?? []), ...this.params.notes],
        fillMs: this.fillMs,
        measuredDirtyRate: this.measuredRate(),
        rateBeforeMigrating: this.rateBeforeMigrating,
        pacing: plan?.pacing ?? 'clock',
        sweepPhasePages: this.sweepPhasePages,
        sourceRunState: end.sourceRunState,
        destinationRunState: end.destinationRunState,
        sourceKeptRunning,
        destinationStderr: end.destinationStderr,
      },
    };
  }

  /** The final info, with a downtime that can be true (switchover-downtime.ts). */
  private checkedInfo(): MigrationInfo {
    const info = this.info();
    if (info.status !== 'completed') return info;
    const postcopy = this.postcopyStartedAtMs !== undefined;
    const { downtimeMs, ...beside } = downtimeFigures(info.downtimeMs, info.totalTimeMs, this.switchover, postcopy);
    return { ...info, downtimeMs, ...beside };
  }

  private measuredRate(): number | null {
    const samples = parseGuestProgress(this.source?.readDebugcon() ?? '').filter(
      (p) => p.pages >= this.guestPagesAtStart,
    );
    return samples.length > 1 ? Math.round(measuredDirtyRate(samples) ?? 0) : null;
  }

  private async runState(vm: QemuVm | undefined): Promise<RunState> {
    return vm ? vm.runState().catch(() => 'exited') : 'exited';
  }

  private warn(command: string, error: unknown): void {
    if (this.finished) return;
    reportBackgroundError('qemu.migration-command', error, { command });
  }
}
