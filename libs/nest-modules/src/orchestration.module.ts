import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { EventStore } from '@ferry/event-store';
import { FleetView, OrchestrationRuntime } from '@ferry/orchestration';
import { QemuExecutionBackend } from '@ferry/qemu';
import type { AppConfig } from './config.js';
import { reportFailureOf } from '@ferry/observability';
import { BackgroundErrors } from './background-errors.js';

class RuntimeLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  private warmTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    @Inject(OrchestrationRuntime) private readonly runtime: OrchestrationRuntime,
    private readonly runWorkers: boolean,
    private readonly store: EventStore,
    private readonly fleet?: FleetView,
  ) {}

  onApplicationBootstrap(): void {
    if (this.runWorkers) this.runtime.startWorkers();
    if (!this.fleet) return;
    // Fold the log and build the conflict matrix at start, and again shortly after this process
    // appends (a fleet file, say), rather than in the first reader's request.
    this.warm(0);
    this.unsubscribe = this.store.subscribe(() => this.warm(200));
  }

  private warm(delayMs: number): void {
    clearTimeout(this.warmTimer);
    this.warmTimer = setTimeout(() => void this.fleet!.matrix().catch(reportFailureOf('fleet-view.warm')), delayMs);
    this.warmTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.warmTimer);
    this.unsubscribe?.();
    await this.runtime.close();
  }
}

/** The job queue and, where this process runs them, the workers. */
@Global()
@Module({})
export class OrchestrationModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: OrchestrationModule,
      providers: [
        {
          provide: OrchestrationRuntime,
          useFactory: (store: EventStore, fleet: FleetView) =>
            new OrchestrationRuntime(store, fleet, {
              redisUrl: config.redisUrl,
              queuePrefix: config.queuePrefix,
              limits: config.limits,
              emulatorSpeed: config.emulatorSpeed,
              leaseMs: config.leaseMs,
              lockDurationMs: Math.max(1000, Math.floor(config.leaseMs / 2)),
              stalledIntervalMs: Math.max(1000, Math.floor(config.leaseMs / 4)),
              reconcileEveryMs: Math.max(500, Math.floor(config.leaseMs / 6)),
              concurrency: config.workerConcurrency,
              linkBandwidth: config.linkBandwidth,
              streamBandwidth: config.streamBandwidth,
              ...(config.qemuBackend ? { backends: { qemu: new QemuExecutionBackend() } } : {}),
            }),
          inject: [EventStore, FleetView],
        },
        // Provided here because both the API and the worker process import this module.
        BackgroundErrors,
        {
          provide: RuntimeLifecycle,
          useFactory: (runtime: OrchestrationRuntime, store: EventStore, fleet: FleetView) =>
            new RuntimeLifecycle(runtime, config.runWorkers, store, config.warmFleetView ? fleet : undefined),
          inject: [OrchestrationRuntime, EventStore, FleetView],
        },
      ],
      exports: [OrchestrationRuntime, BackgroundErrors],
    };
  }
}
