import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { FleetCommands } from '@ferry/fleet';
import { FleetView } from '@ferry/orchestration';
import { ConcurrencyError } from '@ferry/event-store';
import { APP_CONFIG, log, type AppConfig } from '@ferry/nest-modules';
import { Metrics } from '../observability/metrics.js';
import { HeartbeatStore } from './heartbeats.js';
import { silentHosts } from './reachability.js';

/**
 * Marks hosts whose agent fell silent as unreachable (one HostUnreachable per silence, not one event
 * per check). Several API instances may run it: the append expects the version it read, so only one
 * of them records each transition.
 */
@Injectable()
export class ReachabilityMonitor implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private watchingSince = Date.now();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(HeartbeatStore) private readonly heartbeats: HeartbeatStore,
    @Inject(FleetView) private readonly fleet: FleetView,
    @Inject(FleetCommands) private readonly commands: FleetCommands,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    this.watchingSince = Date.now();
    const every = Math.max(200, Math.min(5000, Math.floor(this.config.agentTimeoutMs / 4)));
    this.timer = setInterval(() => void this.check(), every);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async check(nowMs = Date.now()): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const snapshot = await this.fleet.snapshot();
      const silent = silentHosts(
        await this.heartbeats.all(),
        snapshot.hosts,
        nowMs,
        this.config.agentTimeoutMs,
        this.watchingSince,
      );
      for (const { hostId, reason, lastSeenAt } of silent) {
        await this.commands
          .hostCommand(
            hostId,
            { type: 'MarkHostUnreachable', reason, lastSeenAt },
            { metadata: { actor: 'ferry:reachability-monitor' } },
          )
          .catch((error) => {
            if (!(error instanceof ConcurrencyError)) throw error; // another instance recorded it first
          });
      }
    } catch (error) {
      this.metrics.backgroundFailures.inc({ task: 'reachability-monitor' });
      log('error', 'reachability check failed', { error: (error as Error).message });
    } finally {
      this.running = false;
    }
  }
}
