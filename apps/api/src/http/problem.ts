import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import { AuthError } from '../auth/auth-error.js';
import type { Response } from 'express';
import { ZodError } from 'zod';
import { DomainError, quotePrefix, type FieldProblem } from '@ferry/domain';
import { ConcurrencyError, IdempotencyKeyReusedError } from '@ferry/event-store';
import { PlanBlockedError } from '@ferry/orchestration';
import { log } from '@ferry/nest-modules';

/** A 4xx/5xx answer: a short code, a sentence, and per-field problems an operator can fix. */
export interface Problem {
  statusCode: number;
  error: string;
  message: string;
  problems: FieldProblem[];
  /** For a request the planner blocks: every conflict, with evidence and remedy. */
  conflicts?: unknown[];
}

export class ValidationFailed extends Error {
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  }
}

/** "hosts[0].groups[2].reservedRegions[1].end" from zod's path array. */
export function fieldPath(path: readonly PropertyKey[], prefix = ''): string {
  const joined = path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${shortKey(key)}` : shortKey(key)),
    prefix,
  );
  return joined || '(body)';
}

/** A client's key as it appears in a field path: a huge key is cut, never echoed whole. */
const shortKey = (key: PropertyKey) => {
  const text = String(key);
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
};

export function zodProblems(error: ZodError, prefix = ''): FieldProblem[] {
  return error.issues.map((issue) => {
    const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : undefined;
    const path = unknownKeys?.length === 1 ? [...issue.path, unknownKeys[0]!] : issue.path;
    return {
      field: fieldPath(path, prefix),
      message: unknownKeys
        ? `unknown field${unknownKeys.length > 1 ? 's' : ''} ${unknownKeys
            .slice(0, 10)
            .map((k) => quotePrefix(k))
            .join(', ')}${unknownKeys.length > 10 ? ` and ${unknownKeys.length - 10} more` : ''}`
        : issue.message,
    };
  });
}

const DOMAIN_STATUS: Record<DomainError['kind'], number> = {
  invalid: 400,
  'not-found': 404,
  'already-exists': 409,
  conflict: 409,
  'precondition-failed': 412,
};

@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const request = host.switchToHttp().getRequest<{
      headers: Record<string, string | undefined>;
      correlationId?: string;
      method?: string;
      originalUrl?: string;
    }>();
    const problem = this.toProblem(exception, request.headers['if-match'] !== undefined);
    if (problem.statusCode === 503) response.setHeader('Retry-After', '1');
    if (problem.statusCode >= 500) {
      log('error', 'unhandled error', {
        correlationId: request.correlationId,
        method: request.method,
        path: request.originalUrl?.split('?')[0],
        stack: exception instanceof Error ? exception.stack : String(exception),
      });
    }
    if (exception instanceof AuthError) {
      if (exception.status === 401) response.setHeader('WWW-Authenticate', 'Bearer realm="ferry"');
      if (exception.retryAfterSeconds) response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    }
    if (!response.headersSent) response.status(problem.statusCode).json(problem);
  }

  private toProblem(exception: unknown, hadIfMatch: boolean): Problem {
    if (exception instanceof AuthError)
      return problem(exception.status, exception.code, exception.message, [
        { field: 'Authorization', message: exception.message },
      ]);
    if (exception instanceof ValidationFailed)
      return problem(400, 'validation_failed', exception.message, exception.problems);
    if (exception instanceof ZodError) {
      const problems = zodProblems(exception);
      return problem(400, 'validation_failed', problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
    }
    if (exception instanceof PlanBlockedError) {
      return { ...problem(409, exception.code.toLowerCase(), exception.message, []), conflicts: exception.conflicts };
    }
    if (exception instanceof DomainError)
      return problem(
        DOMAIN_STATUS[exception.kind],
        exception.code.toLowerCase(),
        exception.message,
        exception.problems,
      );
    if (exception instanceof ConcurrencyError) {
      // With If-Match the client stated a version: 412. Without, two writers raced: 409, retry.
      return problem(hadIfMatch ? 412 : 409, 'version_conflict', exception.message, [
        { field: hadIfMatch ? 'If-Match' : 'stream', message: exception.message },
      ]);
    }
    if (exception instanceof IdempotencyKeyReusedError)
      return problem(422, 'idempotency_key_reused', exception.message, [
        { field: 'Idempotency-Key', message: exception.message },
      ]);
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message =
        typeof body === 'string' ? body : stringOr((body as { message?: unknown }).message, exception.message);
      // Our own errors never arrive as HttpException: a 400 here is the body parser's (malformed JSON).
      if (status === 400) return problem(400, 'malformed_body', message, [{ field: '(body)', message }]);
      return problem(status, status === 404 ? 'not_found' : 'http_error', message, []);
    }
    // body-parser errors (malformed JSON, too large, bad charset) carry their own 4xx status.
    const status = (exception as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message = (exception as Error).message;
      return problem(status, status === 413 ? 'payload_too_large' : 'malformed_body', message, [
        { field: '(body)', message },
      ]);
    }
    if (isDatabaseUnavailable(exception))
      return problem(
        503,
        'database_unavailable',
        'the database is not reachable right now; retry (with the same Idempotency-Key)',
        [],
      );
    return problem(500, 'internal_error', 'internal error; see the server log', []);
  }
}

/** Connection-level failures (PostgreSQL restarting, SQLite locked): the request may be retried. */
function isDatabaseUnavailable(exception: unknown): boolean {
  const error = exception as { code?: unknown; message?: unknown; driverError?: { code?: unknown } } | null;
  const code = stringOr(error?.code ?? error?.driverError?.code, '');
  const message = stringOr(error?.message, '');
  return (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'EPIPE',
      'ETIMEDOUT',
      '57P01',
      '57P02',
      '57P03',
      '08000',
      '08003',
      '08006',
      'SQLITE_BUSY',
    ].includes(code) ||
    /Connection terminated|connection is closed|Client has encountered a connection error|terminating connection/i.test(
      message,
    )
  );
}

const problem = (statusCode: number, error: string, message: string, problems: FieldProblem[]): Problem => ({
  statusCode,
  error,
  message,
  problems,
});

/** `String(value ?? fallback)` for values off the wire (a string, an errno number, Nest's string[]). */
function stringOr(value: unknown, fallback: string): string {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- String() of whatever arrived is the intent
  return value == null ? fallback : String(value);
}
