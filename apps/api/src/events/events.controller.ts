import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { EventStore } from '@ferry/event-store';
import { etagOf, parseBody } from '../http/request.js';
import { servable } from './servable-event.js';

const eventsQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

@Controller('v1')
export class EventsController {
  constructor(@Inject(EventStore) private readonly store: EventStore) {}

  /** The whole log in commit order; `next` is the cursor for the following page, `lastPosition` the end of the log. */
  @Get('events')
  async events(@Query() query: unknown) {
    const { after, limit } = parseBody(eventsQuery, query, 'query');
    const [events, lastPosition] = await Promise.all([this.store.readAll({ after, limit }), this.store.lastPosition()]);
    return { events: events.map(servable), next: events.at(-1)?.position ?? after, lastPosition };
  }

  @Get('streams/:streamId')
  async stream(@Param('streamId') streamId: string, @Res({ passthrough: true }) response: Response) {
    const events = await this.store.readStream(streamId);
    const version = events.at(-1)?.streamVersion ?? 0;
    response.setHeader('ETag', etagOf(version));
    return { streamId, version, events: events.map(servable) };
  }
}
