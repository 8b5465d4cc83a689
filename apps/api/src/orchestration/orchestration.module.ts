import { Global, Inject, Module, type DynamicModule, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { EventStore } from '@ferry/event-store';
import { FleetView, OrchestrationRuntime } from '@ferry/orchestration';
import { QemuExecutionBackend } from '@ferry/qemu';
import type { AppConfig } from '../config.js';

class RuntimeLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(OrchestrationRuntime) private readonly runtime: OrchestrationRuntime,
    private readonly runWorkers: boolean,
    private readonly fleet?: FleetView,
  ) {}
  onApplicationBootstrap(): void {
    if (this.runWorkers) this.runtime.startWorkers();
    // Fold the log and build the conflict matrix now rather than in the first reader's request.
    if (this.fleet) setImmediate(() => void this.fleet!.matrix().catch(() => undefined));
  }
  async onModuleDestroy(): Promise<void> {
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
        {
          provide: RuntimeLifecycle,
          useFactory: (runtime: OrchestrationRuntime, fleet: FleetView) => new RuntimeLifecycle(runtime, config.runWorkers, config.warmFleetView ? fleet : undefined),
          inject: [OrchestrationRuntime, FleetView],
        },
      ],
      exports: [OrchestrationRuntime],
    };
  }
}
