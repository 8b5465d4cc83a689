import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { EventFeed } from './events/event-feed.js';
import { EventsController } from './events/events.controller.js';
import { StreamController } from './events/stream.controller.js';
import { FleetController } from './fleet/fleet.controller.js';
import { GuestsController } from './fleet/guests.controller.js';
import { HostsController } from './fleet/hosts.controller.js';
import { MachineDefaultsController } from './fleet/machine-defaults.controller.js';
import { HealthController } from './health/health.controller.js';
import { PlansController } from './planning/plans.controller.js';
import { EvacuationsController } from './orchestration/evacuations.controller.js';
import { HotplugsController } from './orchestration/hotplugs.controller.js';
import { MigrationsController } from './orchestration/migrations.controller.js';
import { PoolsController } from './orchestration/pools.controller.js';
import { ProblemFilter } from './http/problem.js';
import { AuthModule } from './auth/auth.module.js';
import { DashboardController } from './dashboard/dashboard.controller.js';
import { Metrics, MetricsController } from './observability/metrics.js';
import { RequestLog } from './observability/request-log.js';
import { type AppConfig, OPENED_STORE, OrchestrationModule, PersistenceModule } from '@ferry/nest-modules';
import { AgentsController } from './agents/agents.controller.js';
import { HeartbeatStore } from './agents/heartbeats.js';
import { ReachabilityMonitor } from './agents/reachability-monitor.js';
import { UnfinishedMigrations } from './agents/unfinished-migrations.js';
import type { OpenedStore } from '@ferry/event-store';

@Module({})
export class AppModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestLog).forRoutes('*');
  }

  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PersistenceModule.forRoot(config), AuthModule.forRoot(config), OrchestrationModule.forRoot(config)],
      controllers: [
        FleetController,
        HostsController,
        GuestsController,
        MachineDefaultsController,
        EventsController,
        StreamController,
        PlansController,
        MigrationsController,
        HotplugsController,
        EvacuationsController,
        PoolsController,
        HealthController,
        MetricsController,
        DashboardController,
        AgentsController,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemFilter },
        EventFeed,
        Metrics,
        RequestLog,
        {
          provide: HeartbeatStore,
          useFactory: (opened: OpenedStore) => new HeartbeatStore(opened.dataSource),
          inject: [OPENED_STORE],
        },
        UnfinishedMigrations,
        ReachabilityMonitor,
      ],
    };
  }
}
