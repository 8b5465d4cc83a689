import { streamOf, toHex, type GuestState } from '@ferry/domain';
import type { ExecutionBackend, MigrationHandle, MigrationResult } from '@ferry/emulator';
import type { EventMetadata, EventStore } from '@ferry/event-store';
import { FleetRepository, liveGuest } from '@ferry/fleet';
import { LibvirtTargetError, type LibvirtBackend } from '../libvirt/libvirt-backend.js';
import type { LibvirtMigrationResult } from '../libvirt/libvirt-migration.js';
import type { JobOutcome, SlotLimiter } from '@ferry/jobs';
import { migrationSpecFor, seedOf } from './emulator-spec.js';
import { MigrationWatch, type MigrationRecorder } from './migration-watch.js';
import { isTerminal, type MigrationState } from './migration-decider.js';
import type { MigrationProgress, PlanSnapshot } from './migration-events.js';
import { MigrationRepository } from './migration-repository.js';
import { reportFailureOf } from '@ferry/observability';

/** Re-checks a migration against the facts as they are now (the planner, behind a port). */
export type MigrationReplanner = (migration: MigrationState) => Promise<PlanSnapshot>;

/** The stream versions a plan was made on, read again now: if any moved, the plan is stale. */
export type InputVersions = (migration: MigrationState) => Promise<Record<string, number>>;

export interface MigrationExecutorPorts {
  store: EventStore;
  limiter: SlotLimiter;
  backends: Record<'emulator' | 'qemu', ExecutionBackend | undefined>;
  /** The libvirt backend: real domains on real hosts, found through hosts[].libvirt. */
  libvirt?: LibvirtBackend;
  replan: MigrationReplanner;
  inputVersions: InputVersions;
  workerId: string;
  linkBandwidth: number;
  streamBandwidth?: number;
  /** How long to wait before asking for a slot again. */
  slotRetryMs?: number;
  /** How often a running migration renews its slot lease (well inside the lease time). */
  renewEveryMs?: number;
  /** How long to wait before looking again at a migration another worker seems to hold. */
  leaseCheckMs?: number;
}

/**
 * Executes one migration job: the log decides everything. A job that finds its migration finished
 * does nothing; one that finds it "running" knows the worker before it died and says so; otherwise it
 * re-plans if facts moved, takes a slot, runs the backend, and records every step. The guest's
 * stream records the new host only together with MigrationCompleted, in one transaction.
 */
export class MigrationExecutor implements MigrationRecorder {
  private readonly migrations: MigrationRepository;
  private readonly fleet: FleetRepository;
  private readonly active = new Set<MigrationWatch>();
  private readonly cancelSeen = new Map<string, { version: number; cancel: boolean }>();

  constructor(private readonly ports: MigrationExecutorPorts) {
    this.migrations = new MigrationRepository(ports.store);
    this.fleet = new FleetRepository(ports.store);
  }

  private metadata(id: string, extra: EventMetadata = {}): EventMetadata {
    return { actor: `worker:${this.ports.workerId}`, correlationId: id, ...extra };
  }

  async run(id: string): Promise<JobOutcome> {
    const { state } = await this.migrations.load(id);
    if (!state || isTerminal(state)) return { kind: 'done' };
    const slot = { id, source: state.sourceHostId, destination: state.destinationHostId };
    if (state.state === 'running') {
      // Another worker may still be running it (a redelivered or re-enqueued job): its slot lease
      // says so. Only once the lease has lapsed do we know that worker is gone.
      if (await this.ports.limiter.holds(slot)) return { kind: 'later', delayMs: this.ports.leaseCheckMs ?? 2_000 };
      // With libvirt the migration ran in libvirtd, not in the dead worker: ask libvirt what happened.
      if (state.backend === 'libvirt') return this.recoverFromLibvirt(state, slot);
      // The previous attempt's worker stopped (SIGKILL, crash) mid-migration. The destination copy
      // died with it and the guest never left its source, which is what we record.
      await this.fail(
        id,
        `interrupted: the worker running attempt ${state.attempts} stopped before the migration finished; the guest is still on ${state.sourceHostId}`,
      );
      await this.ports.limiter.release(slot);
      return { kind: 'done' };
    }
    if (!(await this.stillValid(state))) return { kind: 'done' };
    const answer = await this.ports.limiter.tryAcquire(slot);
    if (!answer.acquired) {
      await this.migrations.execute(id, { type: 'WaitForSlot', reason: answer.reason }, this.metadata(id));
      return { kind: 'later', delayMs: this.ports.slotRetryMs ?? 500 };
    }
    try {
      const started = await this.migrations.execute(
        id,
        { type: 'Start', worker: this.ports.workerId },
        this.metadata(id),
      );
      if (started.events.length === 0 || isTerminal(started.state)) return { kind: 'done' };
      await this.execute(started.state, slot);
    } finally {
      await this.ports.limiter.release(slot);
    }
    return { kind: 'done' };
  }

  /** Re-plans when the facts the plan rested on have changed; rejects if it now blocks. */
  private async stillValid(state: MigrationState): Promise<boolean> {
    const now = await this.ports.inputVersions(state);
    const stale = Object.entries(state.plan.inputs).some(([stream, version]) => now[stream] !== version);
    if (!stale) return true;
    const plan = await this.ports.replan(state);
    await this.migrations.execute(state.id, { type: 'Replan', stale: true, plan }, this.metadata(state.id));
    if (plan.verdict !== 'blocked') return true;
    const blocking = plan.conflicts.filter((c) => c.severity === 'error' || c.severity === 'corruption');
    await this.migrations.execute(
      state.id,
      {
        type: 'Reject',
        reason: `facts changed since planning and the migration is now blocked: ${blocking.map((c) => c.code).join(', ')}`,
        conflicts: plan.conflicts,
      },
      this.metadata(state.id),
    );
    return false;
  }

  private async execute(
    state: MigrationState,
    slot: { id: string; source: string; destination: string },
  ): Promise<void> {
    const id = state.id;
    const guest = (await this.fleet.loadGuest(state.guestId)).state;
    if (!liveGuest(guest) || guest.hostId !== state.sourceHostId) {
      await this.fail(id, `guest ${state.guestId} is no longer on ${state.sourceHostId}`);
      return;
    }
    const hasVfio = guest.devices.some((d) => d.kind === 'vfio' || d.kind === 'vdpa');
    if (state.backend === 'libvirt') {
      const started = await this.startLibvirt(state, guest, hasVfio);
      if (started) await this.followHandle(state, guest, started, slot, hasVfio);
      return;
    }
    const backend = this.ports.backends[state.backend];
    if (!backend) {
      await this.fail(id, `the ${state.backend} backend is not available on worker ${this.ports.workerId}`);
      return;
    }
    const spec = migrationSpecFor(guest, state.policy, {
      linkBandwidth: this.ports.linkBandwidth,
      streamBandwidth: this.ports.streamBandwidth,
      seed: seedOf(id),
      hasVfio,
    });
    await this.followHandle(state, guest, backend.startMigration(spec), slot, hasVfio);
  }

  /** Starts the libvirt migration, or records why it cannot start (missing URI or domain mapping). */
  private async startLibvirt(state: MigrationState, guest: GuestState, hasVfio: boolean) {
    const libvirt = this.ports.libvirt;
    if (!libvirt) {
      await this.fail(state.id, `the libvirt backend is not available on worker ${this.ports.workerId}`);
      return undefined;
    }
    try {
      const target = libvirt.target(
        guest,
        (await this.fleet.loadHost(state.sourceHostId)).state,
        (await this.fleet.loadHost(state.destinationHostId)).state,
      );
      const knobs = libvirt.knobs(state.policy, hasVfio);
      for (const note of knobs.notes) await this.adjust(state, { reason: note });
      return libvirt.start(target, knobs);
    } catch (error) {
      if (!(error instanceof LibvirtTargetError)) throw error;
      await this.fail(state.id, error.message);
      return undefined;
    }
  }

  /**
   * The worker that ran this libvirt migration is gone, but libvirtd was running it. Ask libvirt:
   * a job still running on the source is followed to its end; otherwise the domain's placement on
   * the two hosts is the outcome. When libvirt cannot answer, nothing is recorded and we ask later.
   */
  private async recoverFromLibvirt(
    state: MigrationState,
    slot: { id: string; source: string; destination: string },
  ): Promise<JobOutcome> {
    const libvirt = this.ports.libvirt;
    const guest = (await this.fleet.loadGuest(state.guestId)).state;
    if (!libvirt || !liveGuest(guest)) {
      await this.fail(
        state.id,
        `interrupted: the worker running attempt ${state.attempts} stopped, and this worker cannot ask libvirt`,
      );
      return { kind: 'done' };
    }
    let target;
    let seen;
    try {
      target = libvirt.target(
        guest,
        (await this.fleet.loadHost(state.sourceHostId)).state,
        (await this.fleet.loadHost(state.destinationHostId)).state,
      );
      seen = await libvirt.whereabouts(target);
    } catch (error) {
      if (error instanceof LibvirtTargetError) {
        await this.fail(state.id, error.message);
        return { kind: 'done' };
      }
      return { kind: 'later', delayMs: this.ports.leaseCheckMs ?? 2_000 };
    }
    const answer = await this.ports.limiter.tryAcquire(slot);
    if (!answer.acquired) return { kind: 'later', delayMs: this.ports.slotRetryMs ?? 500 };
    try {
      const hasVfio = guest.devices.some((d) => d.kind === 'vfio' || d.kind === 'vdpa');
      const job = seen.jobRunning ? 'its migration job is still running on the source' : 'no migration job is running';
      await this.adjust(state, {
        reason: `worker of attempt ${state.attempts} stopped; ${seen.said}; ${job}`,
      });
      const handle = libvirt.follow(target);
      const interrupted = `the worker running attempt ${state.attempts} stopped mid-migration; libvirt was asked`;
      await this.followHandle(state, guest, handle, slot, hasVfio, interrupted);
    } finally {
      await this.ports.limiter.release(slot);
    }
    return { kind: 'done' };
  }

  private async followHandle(
    state: MigrationState,
    guest: GuestState,
    handle: MigrationHandle,
    slot: { id: string; source: string; destination: string },
    hasVfio: boolean,
    recovered?: string,
  ): Promise<void> {
    const id = state.id;
    const watch = new MigrationWatch(this, state, handle, guest, hasVfio);
    // The lease is this worker's heartbeat: renewed while it runs, lapsing if it dies.
    const renewal = setInterval(
      () =>
        void this.ports.limiter
          .tryAcquire(slot)
          .catch(reportFailureOf('migration.lease-renewal', { migrationId: id, workerId: this.ports.workerId })),
      this.ports.renewEveryMs ?? 5_000,
    );
    this.active.add(watch);
    try {
      const result = await watch.follow();
      await this.finish(state, guest, result, watch, recovered);
    } finally {
      this.active.delete(watch);
      this.cancelSeen.delete(id);
      clearInterval(renewal);
    }
  }

  async recordProgress(state: MigrationState, progress: MigrationProgress): Promise<MigrationState> {
    return (await this.migrations.execute(state.id, { type: 'RecordProgress', progress }, this.metadata(state.id)))
      .state;
  }

  async adjust(
    state: MigrationState,
    change: { downtimeLimitMs?: number; postcopy?: boolean; reason: string },
  ): Promise<void> {
    await this.migrations.execute(state.id, { type: 'AdjustPolicy', ...change }, this.metadata(state.id));
  }

  private async finish(
    state: MigrationState,
    guest: GuestState,
    result: MigrationResult,
    watch: MigrationWatch,
    recovered?: string,
  ): Promise<void> {
    const id = state.id;
    // A libvirt result says where libvirt has the domain now; that, not the intent, is recorded.
    const libvirt = (result as Partial<LibvirtMigrationResult>).whereabouts;
    if (result.status === 'completed') {
      const { version } = await this.migrations.load(id);
      const guestVersion = (await this.fleet.loadGuest(guest.id)).version;
      const mode = result.postcopy ? 'postcopy' : 'precopy';
      const metadata = this.metadata(id);
      const completed = {
        totalTimeMs: result.info.totalTimeMs,
        downtimeMs: result.info.downtimeMs ?? 0,
        ...(result.info.reportedDowntimeMs !== undefined
          ? { qemuReportedDowntimeMs: result.info.reportedDowntimeMs }
          : {}),
        transferredBytes: toHex(result.info.ram.transferredBytes),
        iterations: result.iterations.length,
        mode,
      };
      // One transaction: the guest moves exactly when the migration completes, never otherwise.
      await this.ports.store.appendMany([
        {
          streamId: streamOf.migration(id),
          expectedVersion: version,
          events: [
            {
              type: 'MigrationSwitchedOver',
              data: { mode, elapsedMs: result.postcopy?.startedAtMs ?? result.info.totalTimeMs },
              metadata,
            },
            { type: 'MigrationCompleted', data: completed, metadata },
          ],
        },
        {
          streamId: streamOf.guest(guest.id),
          expectedVersion: guestVersion,
          events: [
            {
              type: 'GuestMigrated',
              data: { fromHostId: state.sourceHostId, toHostId: state.destinationHostId, migrationId: id },
              metadata,
            },
          ],
        },
      ]);
      return;
    }
    const said = result.error;
    const where = libvirt ? ` (${libvirt.said})` : '';
    if (result.status === 'cancelled' && !watch.failure) {
      // libvirt's words about the abort, and where it has the domain now, go into the history.
      const reason = `${watch.cancelReason ?? 'cancelled'}${libvirt && said ? `: ${said}` : ''}${where}`;
      await this.migrations.execute(id, { type: 'ConfirmCancel', reason }, this.metadata(id));
      return;
    }
    // A real backend says why in its own words (QEMU's error-desc, the destination's stderr, libvirt's error).
    const why =
      watch.failure ??
      `migration ${result.status}${result.stopReason ? ` (${result.stopReason})` : ''}${said ? `: ${said}` : ''}`;
    await this.fail(id, `${recovered ? `interrupted: ${recovered}: ` : ''}${why}${where}`);
  }

  /** A stopping worker aborts what it runs and records why; the guests stay on their sources. */
  shutdown(): void {
    for (const watch of this.active)
      watch.abort(`aborted: worker ${this.ports.workerId} is shutting down; the guest stays on its source`);
  }

  async fail(id: string, reason: string): Promise<void> {
    await this.migrations.execute(id, { type: 'Fail', reason }, this.metadata(id));
  }

  /** Polled while a migration runs: re-reads its stream only when its version has moved. */
  async cancelRequested(id: string): Promise<boolean> {
    const version = await this.ports.store.streamVersion(streamOf.migration(id));
    const seen = this.cancelSeen.get(id);
    if (seen?.version === version) return seen.cancel;
    const { state } = await this.migrations.load(id);
    const cancel = state?.cancelRequested ?? false;
    this.cancelSeen.set(id, { version, cancel });
    return cancel;
  }
}
