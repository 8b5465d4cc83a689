import { hostname } from 'node:os';
import { EmulatorBackend, type ExecutionBackend } from '@ferry/emulator';
import { ProjectionRunner, type EventStore } from '@ferry/event-store';
import {
  BullMqQueue,
  InMemorySlotLimiter,
  InProcessQueue,
  RedisSlotLimiter,
  type JobQueue,
  type JobWorker,
  type MigrationLimits,
  type SlotLimiter,
} from '@ferry/jobs';
import { planMigration } from '@ferry/planner';
import type { FleetView } from '../fleet-view.js';
import { HotplugExecutor } from '../hotplug/hotplug-executor.js';
import { LibvirtBackend } from '../libvirt/libvirt-backend.js';
import { MigrationExecutor } from '../migration/migration-executor.js';
import { isTerminal, type MigrationState } from '../migration/migration-decider.js';
import { snapshotOf } from '../plan-snapshot.js';
import { hotplugsProjection, migrationsProjection } from '../projections.js';
import { reportFailureOf } from '@ferry/observability';

/** The operational numbers have no defaults here: they come from the app's config (libs/nest-modules/src/config.ts). */
export interface RuntimeConfig {
  /** Set: BullMQ on Redis and Redis-held slot limits, shared by every process. Unset: all in this process. */
  redisUrl?: string;
  /** Redis key prefix of the queues and the slot leases. */
  queuePrefix: string;
  limits: MigrationLimits;
  workerId?: string;
  /** Migration jobs one process runs at once. */
  concurrency: number;
  /** Bytes per second between hosts. */
  linkBandwidth: number;
  /** What one migration stream can push, bytes per second (the emulator's per-channel cap); unset: no cap. */
  streamBandwidth?: number;
  /** Emulator: virtual seconds per wall second; unset = as fast as it can. */
  emulatorSpeed?: number;
  /** A worker's slot lease, which is also its heartbeat. */
  leaseMs: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  reconcileEveryMs?: number;
  /** Extra backends (the real QEMU one) by name. */
  backends?: Partial<Record<'emulator' | 'qemu', ExecutionBackend>>;
  /** The libvirt backend (virsh); one is always there, since it only talks to hosts named in the facts. */
  libvirt?: LibvirtBackend;
}

type JobData = Record<string, never>;

/**
 * Queues, slot limits, executors and the reconciler for one process. The API enqueues; workers
 * (in the API process in embedded mode, or `apps/worker` processes with Redis) execute. The log is
 * the truth: a reconciler re-enqueues every unfinished migration and hot-plug, so a lost job (a
 * restarted Redis, a restarted embedded service) is picked up again and finished truthfully.
 */
export class OrchestrationRuntime {
  readonly migrations: JobQueue<JobData>;
  readonly hotplugs: JobQueue<JobData>;
  readonly limiter: SlotLimiter;
  readonly workerId: string;
  private readonly workers: JobWorker[] = [];
  private executor: MigrationExecutor | undefined;
  private reconciler: NodeJS.Timeout | undefined;
  private readonly projections: ProjectionRunner;

  constructor(
    private readonly store: EventStore,
    private readonly fleet: FleetView,
    private readonly config: RuntimeConfig,
  ) {
    this.workerId = config.workerId ?? `${hostname()}:${process.pid}`;
    const { limits, leaseMs } = config;
    if (config.redisUrl) {
      const options = {
        connection: { url: config.redisUrl },
        prefix: config.queuePrefix,
        lockDurationMs: config.lockDurationMs,
        stalledIntervalMs: config.stalledIntervalMs,
      };
      this.migrations = new BullMqQueue('migrations', options);
      this.hotplugs = new BullMqQueue('hotplugs', options);
      this.limiter = new RedisSlotLimiter({
        url: config.redisUrl,
        prefix: `${config.queuePrefix}:slots`,
        limits,
        leaseMs,
      });
    } else {
      this.migrations = new InProcessQueue('migrations');
      this.hotplugs = new InProcessQueue('hotplugs');
      this.limiter = new InMemorySlotLimiter(limits, leaseMs);
    }
    this.projections = new ProjectionRunner(store);
  }

  private backends(): Record<'emulator' | 'qemu', ExecutionBackend | undefined> {
    const speed = this.config.emulatorSpeed;
    return {
      emulator: new EmulatorBackend(speed ? { speed, sliceMs: 200 } : {}),
      qemu: undefined,
      ...this.config.backends,
    };
  }

  enqueueMigration(id: string): Promise<void> {
    return this.migrations.enqueue(id, {});
  }

  enqueueHotplug(id: string): Promise<void> {
    return this.hotplugs.enqueue(id, {});
  }

  /** Starts executing jobs in this process. */
  startWorkers(): void {
    const { leaseMs } = this.config;
    const backends = this.backends();
    const libvirt = this.config.libvirt ?? new LibvirtBackend();
    const migrations = new MigrationExecutor({
      store: this.store,
      limiter: this.limiter,
      backends,
      libvirt,
      replan: (m) => this.replan(m),
      inputVersions: (m) => this.inputVersions(m),
      workerId: this.workerId,
      linkBandwidth: this.config.linkBandwidth,
      streamBandwidth: this.config.streamBandwidth,
      renewEveryMs: Math.max(100, Math.floor(leaseMs / 3)),
      leaseCheckMs: Math.max(100, Math.floor(leaseMs / 2)),
    });
    this.executor = migrations;
    const hotplugs = new HotplugExecutor({ store: this.store, backends, libvirt, workerId: this.workerId });
    const { concurrency } = this.config;
    this.workers.push(this.migrations.work((job) => migrations.run(job.id), { concurrency }));
    this.workers.push(this.hotplugs.work((job) => hotplugs.run(job.id), { concurrency: 2 }));
    const every = this.config.reconcileEveryMs ?? 5_000;
    this.reconciler = setInterval(
      () => void this.reconcile().catch(reportFailureOf('orchestration.reconcile', { workerId: this.workerId })),
      every,
    );
    void this.reconcile().catch(reportFailureOf('orchestration.reconcile', { workerId: this.workerId }));
  }

  /** Re-enqueues everything unfinished (a no-op for jobs that are already queued or running). */
  async reconcile(): Promise<number> {
    const migrations = await this.projections.documents(migrationsProjection);
    const hotplugs = await this.projections.documents(hotplugsProjection);
    const open = migrations.filter((m) => !isTerminal(m));
    const openHotplugs = hotplugs.filter((h) => h.state === 'requested' || h.state === 'running');
    for (const m of open) await this.enqueueMigration(m.id);
    for (const h of openHotplugs) await this.enqueueHotplug(h.id);
    return open.length + openHotplugs.length;
  }

  private async replan(migration: MigrationState) {
    const snapshot = await this.fleet.snapshot();
    try {
      return snapshotOf(
        planMigration(snapshot, migration.guestId, migration.destinationHostId, {
          postcopy: migration.policy.onTimeout === 'postcopy',
        }),
      );
    } catch (error) {
      // The guest or the destination is gone, or the guest is already there: it cannot run.
      return {
        verdict: 'blocked' as const,
        conflicts: [{ code: 'PLAN_FAILED', severity: 'error', message: (error as Error).message }],
        inputs: {},
      };
    }
  }

  private async inputVersions(migration: MigrationState): Promise<Record<string, number>> {
    const streams = Object.keys(migration.plan.inputs);
    const versions = await Promise.all(streams.map((s) => this.store.streamVersion(s)));
    return Object.fromEntries(streams.map((s, i) => [s, versions[i]!]));
  }

  async close(): Promise<void> {
    clearInterval(this.reconciler);
    this.executor?.shutdown();
    await Promise.all(this.workers.map((w) => w.close()));
    await this.migrations.close();
    await this.hotplugs.close();
    await this.limiter.close();
  }
}
