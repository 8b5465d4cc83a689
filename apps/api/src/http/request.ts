import { createHash, randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { ZodType } from 'zod';
import type { WriteContext, WriteOutcome } from '@ferry/fleet';
import type { ExpectedVersion } from '@ferry/event-store';
import { ValidationFailed, zodProblems } from './problem.js';

export function parseBody<T>(schema: ZodType<T>, body: unknown, prefix = ''): T {
  if (body === undefined || body === null)
    throw new ValidationFailed([{ field: '(body)', message: 'a JSON body is required' }]);
  const result = schema.safeParse(body);
  if (!result.success) throw new ValidationFailed(zodProblems(result.error, prefix));
  return result.data;
}

/** If-Match: `"3"`, `W/"3"` or `3` is that stream version; `*` means "it must exist". */
export function expectedVersionFrom(request: Request): ExpectedVersion | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  if (header.trim() === '*') return 'exists';
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  if (!match)
    throw new ValidationFailed([{ field: 'If-Match', message: 'must be an ETag this API returned, like "3"' }]);
  return Number(match[1]);
}

/**
 * For a write that has no one stream version to match (it creates a stream, or spans many): If-Match
 * is refused, never silently ignored, so a client that relies on it learns at once.
 */
export function refuseIfMatch(request: Request, why: string): void {
  if (request.headers['if-match'] !== undefined)
    throw new ValidationFailed([{ field: 'If-Match', message: `not accepted here: ${why}` }]);
}

export function correlationIdOf(request: Request): string {
  const given = request.headers['x-correlation-id'];
  return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

/** Metadata for every event this request writes, and the idempotency record if the client sent a key. */
export function writeContext(request: Request): WriteContext {
  const key = request.headers['idempotency-key'];
  if (key !== undefined && (typeof key !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(key))) {
    throw new ValidationFailed([{ field: 'Idempotency-Key', message: 'must be 1–200 printable ASCII characters' }]);
  }
  const actor = (request as Request & { actor?: string }).actor ?? 'anonymous';
  const correlationId = (request as Request & { correlationId?: string }).correlationId ?? correlationIdOf(request);
  return {
    metadata: { actor, correlationId, ...(key ? { idempotencyKey: key } : {}) },
    expectedVersion: expectedVersionFrom(request),
    idempotency: key ? { key, fingerprint: fingerprint(request) } : undefined,
  };
}

/** The same key with a different method, path or body is a different request. */
function fingerprint(request: Request): string {
  const body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body ?? null);
  return createHash('sha256')
    .update(`${request.method} ${request.originalUrl.split('?')[0]}\n${body}`)
    .digest('hex');
}

export function etagOf(version: number): string {
  return `"${version}"`;
}

/** Writes a command's answer: status, ETag from the body's version, and whether it was replayed. */
export function send(response: Response, outcome: WriteOutcome): unknown {
  response.status(outcome.status);
  const version = (outcome.body as { version?: unknown } | null)?.version;
  if (typeof version === 'number') response.setHeader('ETag', etagOf(version));
  if (outcome.replayed) response.setHeader('Idempotent-Replayed', 'true');
  return outcome.body;
}
