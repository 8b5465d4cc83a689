import { Controller, Get, Inject, Res, type OnModuleDestroy } from '@nestjs/common';
import type { Response } from 'express';
import { Redis } from 'ioredis';
import { EventStore } from '@ferry/event-store';
import { Public } from '../auth/roles.js';
import { ApiRoute } from '../openapi/route-spec.js';
import { healthResponse } from '../openapi/responses.js';
import { reportFailureOf } from '@ferry/observability';
import { type AppConfig, APP_CONFIG } from '@ferry/nest-modules';

type Check = { status: 'up' | 'down'; latencyMs?: number; error?: string; kind?: string };

/** Liveness and readiness in one: 200 when the database (and Redis, when configured) answer, else 503 with which one failed. */
@Public()
@Controller('health')
export class HealthController implements OnModuleDestroy {
  private redis: Redis | undefined;

  constructor(
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @ApiRoute({
    id: 'health',
    tag: 'operations',
    summary: 'Database (and Redis) reachability: 200 when all answer, 503 naming the one that failed',
    response: healthResponse,
    alsoStatus: { status: 503, when: 'The database or Redis does not answer: the body names which' },
  })
  @Get()
  async health(@Res({ passthrough: true }) response: Response) {
    const database = { ...(await timed(() => this.store.dialect.ping())), kind: this.store.kind };
    const checks: Record<string, Check> = { database };
    if (this.config.redisUrl) {
      if (!this.redis) {
        this.redis = new Redis(this.config.redisUrl, {
          lazyConnect: true,
          maxRetriesPerRequest: 1,
          connectTimeout: 1000,
          enableOfflineQueue: false,
        });
        this.redis.on('error', reportFailureOf('health.redis-connection'));
      }
      checks.redis = await timed(async () => {
        if (this.redis!.status === 'wait' || this.redis!.status === 'end') await this.redis!.connect();
        await this.redis!.ping();
      });
    }
    const up = Object.values(checks).every((c) => c.status === 'up');
    response.status(up ? 200 : 503);
    return { status: up ? 'ok' : 'down', ...checks };
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }
}

async function timed(check: () => Promise<unknown>): Promise<Check> {
  const started = performance.now();
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 2 s')), 2000).unref()),
    ]);
    return { status: 'up', latencyMs: Number((performance.now() - started).toFixed(2)) };
  } catch (error) {
    return { status: 'down', error: (error as Error).message };
  }
}
