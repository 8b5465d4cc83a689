// One migration of a real libvirt domain, peer to peer: the source's libvirtd runs it; Ferry polls
// the job's statistics (a dirty sync is a new memory_iteration), turns the knobs while it runs, and
// asks libvirt on both hosts where the domain is once the job is over. The same class follows a job
// some earlier worker started (`follow`), which is how a restarted worker learns what happened.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  EventHistory,
  type CancelOutcome,
  type IterationReport,
  type LiveParameters,
  type MigrationRunEvent,
  type MigrationHandle,
  type MigrationInfo,
  type MigrationResult,
  type MigrationStatus,
} from '@ferry/emulator';
import { jobActive, type JobStats, type LibvirtConnection } from '@ferry/libvirt';
import { reportBackgroundError } from '@ferry/observability';
import { iterationReportOf, migrationInfoOf, runningStatusOf } from './job-progress.js';
import type { LibvirtKnobs } from './libvirt-knobs.js';
import { whereIs, type DomainWhereabouts } from './placement.js';

export interface LibvirtMigrationTarget {
  domainUuid: string;
  source: LibvirtConnection;
  destination: LibvirtConnection;
}

export interface LibvirtMigrationResult extends MigrationResult {
  /** libvirt's and QEMU's words when it did not complete, verbatim. */
  error: string | null;
  whereabouts: DomainWhereabouts;
}

export type LibvirtMigrationMode = { start: LibvirtKnobs } | { follow: true };

const EMPTY_INFO: MigrationInfo = {
  status: 'setup',
  totalTimeMs: 0,
  setupTimeMs: 0,
  downtimeMs: null,
  expectedDowntimeMs: 0,
  cpuThrottlePercentage: 0,
  ram: {
    transferredBytes: 0n,
    remainingBytes: 0n,
    totalBytes: 0n,
    duplicatePages: 0,
    normalPages: 0,
    normalBytes: 0n,
    dirtySyncCount: 0,
    dirtyPagesRate: 0,
    mbps: 0,
    pagesPerSecond: 0,
    postcopyRequests: 0,
  },
};

export class LibvirtMigration implements MigrationHandle {
  readonly result: Promise<LibvirtMigrationResult>;
  private readonly history = new EventHistory((error) =>
    reportBackgroundError('libvirt.listener', error, { listener: 'migration event' }),
  );
  private current: MigrationInfo = EMPTY_INFO;
  private lastSync: JobStats | undefined;
  private readonly iterations: IterationReport[] = [];
  private readonly throttleSteps: number[] = [];
  private jobSeen = false;
  private cancelRequested = false;
  private abortSent = false;
  private postcopyStartedAtMs: number | undefined;
  private pending: LiveParameters = {};
  private finished = false;
  /** Warnings from knob changes libvirt refused (kept for the result, never thrown at the watch). */
  readonly warnings: string[] = [];

  constructor(
    private readonly target: LibvirtMigrationTarget,
    private readonly mode: LibvirtMigrationMode,
    private readonly pollMs = 500,
  ) {
    if ('start' in mode) this.pending.downtimeLimitMs = mode.start.downtimeLimitMs;
    this.result = this.run();
  }

  onProgress(listener: (event: MigrationRunEvent) => void): () => void {
    return this.history.subscribe(listener);
  }

  events(): AsyncIterableIterator<MigrationRunEvent> {
    return this.history.iterate();
  }

  info(): MigrationInfo {
    return this.current;
  }

  /** domjobabort; refused once post-copy has started (the destination already runs the guest). */
  cancel(): CancelOutcome {
    if (this.finished) return { accepted: false, reason: 'the migration is over' };
    if (this.postcopyStartedAtMs !== undefined)
      return { accepted: false, reason: 'cannot cancel a migration in post-copy mode' };
    this.cancelRequested = true;
    if (this.jobSeen) this.abort();
    return { accepted: true };
  }

  /** migrate-postcopy: only when the migration was started with --postcopy. */
  startPostcopy(): CancelOutcome {
    if (!('start' in this.mode) || !this.mode.start.options.postcopy)
      return { accepted: false, reason: 'post-copy was not enabled for this migration' };
    if (this.finished || this.postcopyStartedAtMs !== undefined)
      return { accepted: false, reason: `migration is ${this.current.status}` };
    this.postcopyStartedAtMs = this.current.totalTimeMs;
    this.target.source.startPostcopy(this.target.domainUuid).catch(this.refused('migrate-postcopy'));
    return { accepted: true };
  }

  /** migrate-setmaxdowntime / migrate-setspeed on the running job (queued until it runs). */
  setParameters(change: LiveParameters): void {
    this.pending = { ...this.pending, ...change };
    if (this.jobSeen) this.applyPending();
  }

  private applyPending(): void {
    const { downtimeLimitMs, maxBandwidth } = this.pending;
    this.pending = {};
    const uuid = this.target.domainUuid;
    if (downtimeLimitMs !== undefined)
      this.target.source.setMaxDowntime(uuid, downtimeLimitMs).catch(this.refused('migrate-setmaxdowntime'));
    if (maxBandwidth !== undefined)
      this.target.source.setMaxBandwidth(uuid, maxBandwidth).catch(this.refused('migrate-setspeed'));
  }

  /** A knob libvirt refused: kept for the result's error text, and reported. */
  private refused(what: string): (error: Error) => void {
    return (error) => {
      this.warnings.push(`${what}: ${error.message}`);
      reportBackgroundError(`libvirt.${what}`, error, { domain: this.target.domainUuid });
    };
  }

  private abort(): void {
    if (this.abortSent) return;
    this.abortSent = true;
    this.target.source.abortJob(this.target.domainUuid).catch(this.refused('domjobabort'));
  }

  private async run(): Promise<LibvirtMigrationResult> {
    await new Promise((resolve) => setImmediate(resolve)); // let the caller subscribe first
    const { source, destination, domainUuid } = this.target;
    let processError: string | null = null;
    let processDone = !('start' in this.mode);
    if ('start' in this.mode) {
      const migration = source.migrate(domainUuid, destination.uri, this.mode.start.options);
      void migration.done.then(
        () => (processDone = true),
        (error: Error) => {
          processError = error.message;
          processDone = true;
        },
      );
    }
    try {
      for (;;) {
        // A failed poll is reported and the next one tried; the job's end is decided by libvirt, below.
        const stats = await source.jobStats(domainUuid).catch((error: unknown) => {
          reportBackgroundError('libvirt.job-stats', error, { domain: domainUuid, uri: source.uri });
          return undefined;
        });
        if (stats && jobActive(stats) && stats.operation === 'migration-out') this.observe(stats);
        else if (processDone) break;
        if (this.cancelRequested && this.jobSeen) this.abort();
        await sleep(this.pollMs);
      }
      return await this.conclude(processError);
    } finally {
      this.finished = true;
      this.history.close();
    }
  }

  private observe(stats: JobStats): void {
    if (!this.jobSeen) {
      this.jobSeen = true;
      this.applyPending();
    }
    const status = runningStatusOf(stats, this.postcopyStartedAtMs !== undefined);
    const previous = this.current.status;
    this.current = migrationInfoOf(stats, status);
    if (status !== previous)
      this.history.emit({ type: 'status-changed', atMs: stats.elapsedMs, from: previous, to: status });
    if (stats.cpuThrottlePercentage !== (this.throttleSteps.at(-1) ?? 0) && stats.cpuThrottlePercentage > 0) {
      this.throttleSteps.push(stats.cpuThrottlePercentage);
      this.history.emit({ type: 'throttle-changed', atMs: stats.elapsedMs, percent: stats.cpuThrottlePercentage });
    }
    // A new memory_iteration is a dirty-bitmap sync QEMU has done since the last poll.
    if (stats.memory.iteration > (this.lastSync?.memory.iteration ?? 0)) {
      const report = iterationReportOf(stats, this.lastSync);
      this.lastSync = stats;
      this.iterations.push(report);
      this.history.emit({ type: 'dirty-sync', atMs: stats.elapsedMs, iteration: report });
    }
  }

  /** The job is over: libvirt on both hosts says where the domain is, and that is the outcome. */
  private async conclude(processError: string | null): Promise<LibvirtMigrationResult> {
    const { source, destination, domainUuid } = this.target;
    let whereabouts: DomainWhereabouts;
    try {
      whereabouts = await whereIs(domainUuid, source, destination);
    } catch (error) {
      // libvirt cannot be asked. If no job ever ran (virsh could not even start it), nothing moved and
      // virsh's words say why; otherwise the outcome is unknown and must not be guessed: the caller
      // gets the error and asks again later.
      if (this.jobSeen || processError === null) throw error;
      whereabouts = {
        placement: 'source',
        source: null,
        destination: null,
        said: `libvirt could not be asked where the domain is: ${(error as Error).message}`,
      };
    }
    const completedOn = whereabouts.placement === 'destination' ? destination : source;
    const completed = await completedOn.jobStats(domainUuid, { completed: true }).catch(() => undefined);
    const status: MigrationStatus =
      whereabouts.placement === 'destination' ? 'completed' : this.cancelRequested ? 'cancelled' : 'failed';
    if (completed && completed.type !== 'none') this.current = migrationInfoOf(completed, status);
    else this.current = { ...this.current, status };
    const error =
      status === 'completed'
        ? null
        : (processError ??
          completed?.errorMessage ??
          (this.jobSeen ? null : 'libvirt shows no outgoing migration job for this domain on the source'));
    return {
      status,
      stopReason: status === 'completed' ? 'completed' : status === 'cancelled' ? 'cancelled' : null,
      converged: status === 'completed',
      info: this.current,
      iterations: this.iterations,
      throttleSteps: this.throttleSteps,
      postcopy:
        this.postcopyStartedAtMs === undefined
          ? null
          : {
              startedAtMs: this.postcopyStartedAtMs,
              remainingAtSwitchBytes: this.lastSync?.memory.remainingBytes ?? 0n,
              faultCount: this.current.ram.postcopyRequests,
              faultBytes: 0n,
              backgroundBytes: 0n,
              durationMs: this.current.totalTimeMs - this.postcopyStartedAtMs,
            },
      source: whereabouts.placement === 'source' ? 'running' : 'postmigrate',
      destination: whereabouts.destination === 'running' ? 'running' : 'shutdown',
      error: [error, this.warnings.length ? `(${this.warnings.join('; ')})` : null].filter(Boolean).join(' ') || null,
      whereabouts,
    };
  }
}
