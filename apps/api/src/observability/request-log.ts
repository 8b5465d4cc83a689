import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { correlationIdOf } from '../http/request.js';
import { Metrics } from './metrics.js';
import { log } from '@ferry/nest-modules';

/**
 * Every request gets a correlation id (the client's X-Correlation-Id, or a new one), echoed in the
 * response and recorded in the events it writes; one JSON log line per request.
 */
@Injectable()
export class RequestLog implements NestMiddleware {
  constructor(@Inject(Metrics) private readonly metrics: Metrics) {}

  use(request: Request, response: Response, next: NextFunction): void {
    const started = performance.now();
    const correlationId = correlationIdOf(request);
    (request as Request & { correlationId: string }).correlationId = correlationId;
    response.setHeader('X-Correlation-Id', correlationId);
    // 'close', not 'finish': a response the client hung up on (every event stream ends so) is logged too.
    response.once('close', () => {
      const seconds = (performance.now() - started) / 1000;
      // The route pattern, not the path: /v1/hosts/:id, so label values stay few.
      const routePath = (request.route as { path?: string } | undefined)?.path;
      const route = routePath ? `${request.baseUrl}${routePath}` : 'unmatched';
      this.metrics.httpRequests.inc({ method: request.method, route, status: String(response.statusCode) });
      this.metrics.httpDuration.observe({ method: request.method, route }, seconds);
      log('info', 'request', {
        method: request.method,
        path: request.originalUrl.split('?')[0],
        status: response.statusCode,
        ms: Number((seconds * 1000).toFixed(2)),
        correlationId,
        actor: (request as Request & { actor?: string }).actor ?? null,
        ...(response.writableFinished ? {} : { hungUp: true }),
      });
    });
    next();
  }
}
