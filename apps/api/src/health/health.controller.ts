import { Controller, Get, HttpException, Inject } from '@nestjs/common';
import { EventStore } from '@ferry/event-store';

@Controller('health')
export class HealthController {
  constructor(@Inject(EventStore) private readonly store: EventStore) {}

  @Get()
  async health() {
    const started = performance.now();
    try {
      await this.store.dialect.ping();
    } catch (error) {
      throw new HttpException({ status: 'down', database: { status: 'down', error: (error as Error).message } }, 503);
    }
    return { status: 'ok', database: { status: 'up', kind: this.store.kind, latencyMs: Number((performance.now() - started).toFixed(2)) } };
  }
}
