import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { boundedText } from '@ferry/domain';
import { EventStore, type StoredEvent } from '@ferry/event-store';
import type { AuthenticatedRequest } from '../auth/authenticate-first.js';
import { TokenRegistry } from '../auth/tokens.js';
import { parseBody } from '../http/request.js';
import { Metrics } from '../observability/metrics.js';
import { EventFeed } from './event-feed.js';
import { ApiRoute } from '../openapi/route-spec.js';
import { servable } from './servable-event.js';
import { log } from '@ferry/nest-modules';

const streamQuery = z.strictObject({
  after: z.coerce.number().int().min(0).optional(),
  /** Comma-separated stream prefixes, e.g. "migration-,guest-vm-1". */
  streams: boundedText(1000).optional(),
  /** EventSource cannot send headers; the guard reads the token from here. */
  access_token: boundedText(200).optional(),
});

/** How often an idle stream re-checks its token (revocations by other instances show within this). */
const RECHECK_MS = 1000;
const KEEP_ALIVE_MS = 15_000;

type EndReason = 'client' | 'revoked' | 'shutdown' | 'error';

@Controller('v1')
export class StreamController {
  constructor(
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(EventFeed) private readonly feed: EventFeed,
    @Inject(TokenRegistry) private readonly tokens: TokenRegistry,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {}

  /**
   * Server-Sent Events: every new event, in order, as `id: <position>` + `event: <type>` + JSON.
   * Resumes after `?after=` or the browser's Last-Event-ID; without either, starts at the present.
   * The stream ends when its token is revoked.
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
    const authentication = (request as AuthenticatedRequest).authentication;
    const tokenId = authentication && 'token' in authentication ? authentication.token.id : undefined;
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
    const session = this.openSession(request, cursor);
    let open = true;
    const hungUp = new Promise<void>((resolve) =>
      request.on('close', () => {
        open = false;
        resolve();
      }),
    );
    let ended: EndReason = 'client';
    let lastWrite = performance.now();
    try {
      while (open) {
        if (this.feed.closed) {
          ended = 'shutdown';
          break;
        }
        const events = await this.store.readAll({ after: cursor, limit: 500 });
        // A revocation closes the stream at once, whichever instance wrote it.
        if (events.some((e) => revokes(e, tokenId)) || (tokenId && !(await this.tokens.isActive(tokenId)))) {
          ended = 'revoked';
          response.write(': token revoked\n\n');
          break;
        }
        for (const event of events) {
          cursor = event.position;
          if (prefixes && !prefixes.some((p) => event.streamId.startsWith(p))) continue;
          response.write(`id: ${event.position}\nevent: ${event.type}\ndata: ${JSON.stringify(servable(event))}\n\n`);
          session.events++;
          lastWrite = performance.now();
        }
        if (events.length === 500) continue;
        await Promise.race([this.feed.wait(RECHECK_MS), hungUp]);
        if (open && performance.now() - lastWrite >= KEEP_ALIVE_MS) {
          response.write(': keep-alive\n\n');
          lastWrite = performance.now();
        }
      }
    } catch (error) {
      ended = 'error';
      throw error;
    } finally {
      session.close(ended);
      response.end();
    }
  }

  /** One log line and a counted, gauged session per stream; another line when it ends, with why. */
  private openSession(request: Request, from: number) {
    const fields = {
      correlationId: (request as Request & { correlationId?: string }).correlationId,
      actor: (request as Request & { actor?: string }).actor ?? null,
    };
    const started = performance.now();
    this.metrics.sseOpen.inc();
    log('info', 'event stream opened', { ...fields, from });
    const session = {
      events: 0,
      close: (reason: EndReason) => {
        this.metrics.sseOpen.dec();
        this.metrics.sseSessions.inc({ ended: reason });
        log('info', 'event stream closed', {
          ...fields,
          reason,
          events: session.events,
          ms: Math.round(performance.now() - started),
        });
      },
    };
    return session;
  }
}

const revokes = (event: StoredEvent, tokenId: string | undefined) =>
  tokenId !== undefined && event.type === 'TokenRevoked' && (event.data as { tokenId?: string }).tokenId === tokenId;
