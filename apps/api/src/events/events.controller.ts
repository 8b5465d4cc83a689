import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { EventStore } from '@ferry/event-store';
import { etagOf, parseBody } from '../http/request.js';
import { ApiRoute } from '../openapi/route-spec.js';
import { eventPageResponse, streamResponse } from '../openapi/responses.js';
import { servable } from './servable-event.js';

const eventsQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

@Controller('v1')
export class EventsController {
  constructor(@Inject(EventStore) private readonly store: EventStore) {}

  /** The whole log in commit order; `next` is the cursor for the following page, `lastPosition` the end of the log. */
  @ApiRoute({
    id: 'listEvents',
    tag: 'events',
    summary: 'The event log in commit order',
    description: '`next` is the cursor for the following page, `lastPosition` the end of the log.',
    query: eventsQuery,
    response: eventPageResponse,
  })
  @Get('events')
  async events(@Query() query: unknown) {
    const { after, limit } = parseBody(eventsQuery, query, 'query');
    const [events, lastPosition] = await Promise.all([this.store.readAll({ after, limit }), this.store.lastPosition()]);
    return { events: events.map(servable), next: events.at(-1)?.position ?? after, lastPosition };
  }

  @ApiRoute({
    id: 'getStream',
    tag: 'events',
    summary: 'One stream: host-<id>, guest-<id>, migration-<id>, …',
    params: { streamId: 'e.g. host-host-b, guest-vm-1, migration-<uuid>' },
    response: streamResponse,
    etag: true,
  })
  @Get('streams/:streamId')
  async stream(@Param('streamId') streamId: string, @Res({ passthrough: true }) response: Response) {
    const events = await this.store.readStream(streamId);
    const version = events.at(-1)?.streamVersion ?? 0;
    response.setHeader('ETag', etagOf(version));
    return { streamId, version, events: events.map(servable) };
  }
}
