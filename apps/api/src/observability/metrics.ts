import { Controller, Get, Header, Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { EventStore, ProjectionRunner } from '@ferry/event-store';
import { FleetView, MIGRATION_STATES, migrationsProjection, OrchestrationRuntime } from '@ferry/orchestration';
import { ApiRoute } from '../openapi/route-spec.js';
import { reportFailureOf } from '@ferry/observability';
import { BackgroundErrors } from '@ferry/nest-modules';

const SECONDS = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800];
const DOWNTIME = [0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5];

/** Prometheus metrics. Fleet-wide numbers are computed from the read models at scrape time, so every API instance reports the same. */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'ferry_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'ferry_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  /** Server-Sent Event sessions by how they ended (client, revoked, shutdown, error), and how many are open. */
  readonly sseSessions = new Counter({
    name: 'ferry_sse_sessions_total',
    help: 'Finished /v1/stream sessions by how they ended',
    labelNames: ['ended'],
    registers: [this.registry],
  });
  readonly sseOpen = new Gauge({
    name: 'ferry_sse_sessions_open',
    help: 'Open /v1/stream sessions',
    registers: [this.registry],
  });
  private readonly appendLatency = new Histogram({
    name: 'ferry_event_store_append_seconds',
    help: 'Event-store append latency (one transaction)',
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });
  private readonly migrationsByState = new Gauge({
    name: 'ferry_migrations',
    help: 'Migrations by state',
    labelNames: ['state'],
    registers: [this.registry],
  });
  private readonly migrationDuration = new Histogram({
    name: 'ferry_migration_duration_seconds',
    help: 'Total time of completed migrations',
    buckets: SECONDS,
    registers: [this.registry],
  });
  private readonly migrationDowntime = new Histogram({
    name: 'ferry_migration_downtime_seconds',
    help: 'Guest pause at switchover of completed migrations',
    buckets: DOWNTIME,
    registers: [this.registry],
  });
  private readonly queueDepth = new Gauge({
    name: 'ferry_queue_jobs',
    help: 'Jobs in the queue by queue and state',
    labelNames: ['queue', 'state'],
    registers: [this.registry],
  });
  /** Timers and monitors that failed (each failure is also logged with its context). */
  readonly backgroundFailures = new Counter({
    name: 'ferry_background_failures_total',
    help: 'Failures of background work (reachability monitor, …) by task',
    labelNames: ['task'],
    registers: [this.registry],
  });
  private readonly conflicts = new Gauge({
    name: 'ferry_conflicts',
    help: 'Conflict-matrix cells with a finding, by code',
    labelNames: ['code'],
    registers: [this.registry],
  });

  constructor(
    @Inject(EventStore) store: EventStore,
    @Inject(ProjectionRunner) private readonly projections: ProjectionRunner,
    @Inject(OrchestrationRuntime) private readonly runtime: OrchestrationRuntime,
    @Inject(FleetView) private readonly fleet: FleetView,
    @Inject(BackgroundErrors) backgroundErrors: BackgroundErrors,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'ferry_process_' });
    this.registry.registerMetric(backgroundErrors.counter);
    store.appendObserver = (seconds) => this.appendLatency.observe(seconds);
  }

  async render(): Promise<string> {
    const migrations = await this.projections.documents(migrationsProjection);
    this.migrationsByState.reset();
    this.migrationDuration.reset();
    this.migrationDowntime.reset();
    for (const state of MIGRATION_STATES) this.migrationsByState.set({ state }, 0);
    for (const m of migrations) {
      this.migrationsByState.inc({ state: m.state });
      if (m.result) {
        this.migrationDuration.observe(m.result.totalTimeMs / 1000);
        this.migrationDowntime.observe(m.result.downtimeMs / 1000);
      }
    }
    this.queueDepth.reset();
    for (const [name, queue] of [
      ['migrations', this.runtime.migrations],
      ['hotplugs', this.runtime.hotplugs],
    ] as const) {
      const counts = await queue.counts().catch(reportFailureOf('metrics.queue-counts', { queue: name }));
      if (counts)
        for (const [state, n] of Object.entries(counts) as [string, number][])
          this.queueDepth.set({ queue: name, state }, n);
    }
    this.conflicts.reset();
    const { counts } = await this.fleet.query({ limit: 1 });
    for (const [code, n] of Object.entries(counts.byCode)) this.conflicts.set({ code }, n ?? 0);
    return this.registry.metrics();
  }
}

@Controller('metrics')
export class MetricsController {
  constructor(@Inject(Metrics) private readonly metrics: Metrics) {}

  @ApiRoute({
    id: 'metrics',
    tag: 'operations',
    summary: 'Prometheus metrics (text exposition format)',
    response: 'text',
  })
  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  render(): Promise<string> {
    return this.metrics.render();
  }
}
