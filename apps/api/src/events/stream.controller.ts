import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { EventStore } from '@ferry/event-store';
import { parseBody } from '../http/request.js';
import { EventFeed } from './event-feed.js';
import { ApiRoute } from '../openapi/route-spec.js';

const streamQuery = z.strictObject({
  after: z.coerce.number().int().min(0).optional(),
  /** Comma-separated stream prefixes, e.g. "migration-,guest-vm-1". */
  streams: z.string().max(1000).optional(),
  /** EventSource cannot send headers; the guard reads the token from here. */
  access_token: z.string().max(200).optional(),
});

@Controller('v1')
export class StreamController {
  constructor(
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(EventFeed) private readonly feed: EventFeed,
  ) {}

  /**
   * Server-Sent Events: every new event, in order, as `id: <position>` + `event: <type>` + JSON.
   * Resumes after `?after=` or the browser's Last-Event-ID; without either, starts at the present.
   */
  @ApiRoute({
    id: 'streamEvents',
    tag: 'events',
    summary: 'Live events as Server-Sent Events',
    description:
      'Every new event, in order. Resumes after `?after=` or `Last-Event-ID`; without either, starts at the present. `?streams=` keeps events whose stream id starts with one of the comma-separated prefixes.',
    query: streamQuery,
    response: 'events',
  })
  @Get('stream')
  async stream(@Query() query: unknown, @Req() request: Request, @Res() response: Response): Promise<void> {
    const { after, streams } = parseBody(streamQuery, query, 'query');
    const prefixes = streams
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const lastEventId = Number(request.headers['last-event-id']);
    let cursor =
      after ?? (Number.isInteger(lastEventId) && lastEventId >= 0 ? lastEventId : await this.store.lastPosition());
    response.status(200);
    response.setHeader('Content-Type', 'text/event-stream');
    response.setHeader('Cache-Control', 'no-cache, no-transform');
    response.setHeader('Connection', 'keep-alive');
    response.setHeader('X-Accel-Buffering', 'no');
    response.flushHeaders();
    response.write(`retry: 2000\n: connected at position ${cursor}\n\n`);
    let open = true;
    request.on('close', () => {
      open = false;
    });
    while (open && !this.feed.closed) {
      const events = await this.store.readAll({ after: cursor, limit: 500 });
      for (const event of events) {
        cursor = event.position;
        if (prefixes && !prefixes.some((p) => event.streamId.startsWith(p))) continue;
        response.write(`id: ${event.position}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      }
      if (events.length === 500) continue;
      await this.feed.wait(15_000);
      if (open && !this.feed.closed) response.write(': keep-alive\n\n');
    }
    response.end();
  }
}
