import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AuthError } from './auth-error.js';
import { RateLimiter } from './rate-limiter.js';
import { TokenRegistry, type TokenDocument } from './tokens.js';

/**
 * What the request's credentials came to, decided before its body is read. `error` is an AuthError,
 * or whatever stopped the lookup (the database away): the guard throws it, and the problem filter
 * answers (503 for a database that is away), never express's default error page.
 */
export type Authentication = { token: TokenDocument } | { error: unknown };

export type AuthenticatedRequest = Request & { authentication?: Authentication };

/**
 * Runs before the body parsers: a request without a valid token never gets its body read or parsed
 * (the guard answers 401 and the connection closes), so strangers cannot make the server parse 32 MB.
 * Failed authentications are limited per client address before the token is even looked up.
 */
export function authenticateFirst(tokens: TokenRegistry, failures: RateLimiter): RequestHandler {
  return async (request: Request, response: Response, next: NextFunction) => {
    const authentication = await authenticate(request, tokens, failures).catch((error: unknown) => ({ error }));
    (request as AuthenticatedRequest).authentication = authentication;
    // Answering without reading the body: closing the connection is what stops the client sending it.
    // A small body is left to Node, which discards it and keeps the connection: closing a socket with
    // unread data resets it, and the client would see ECONNRESET instead of its 401.
    if ('error' in authentication && largeBody(request)) response.setHeader('Connection', 'close');
    next();
  };
}

async function authenticate(request: Request, tokens: TokenRegistry, failures: RateLimiter): Promise<Authentication> {
  const secret = secretOf(request);
  if (!secret)
    return {
      error: new AuthError(401, 'unauthenticated', 'an API token is required: send "Authorization: Bearer <token>"'),
    };
  const address = request.socket.remoteAddress ?? 'unknown';
  const wait = failures.wait(address);
  if (wait > 0)
    return {
      error: new AuthError(
        429,
        'rate_limited',
        `too many failed authentications from ${address}; retry in ${wait} s`,
        wait,
      ),
    };
  const token = await tokens.authenticate(secret);
  if (token) return { token };
  failures.take(address);
  return { error: new AuthError(401, 'invalid_token', 'the API token is unknown or revoked') };
}

/** Wraps a body parser so it only ever sees requests that carry a valid token. */
export function onlyAuthenticated(parser: RequestHandler): RequestHandler {
  return (request, response, next) =>
    (request as AuthenticatedRequest).authentication && 'token' in (request as AuthenticatedRequest).authentication!
      ? parser(request, response, next)
      : next();
}

/**
 * `Authorization: Bearer <token>`; EventSource cannot send headers, so GET /v1/stream also takes
 * `?access_token=` (never logged: see json-logger).
 */
export function secretOf(request: Request): string | undefined {
  const header = request.headers.authorization;
  if (header) return /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  const fromQuery = request.query.access_token;
  if (request.method === 'GET' && request.path === '/v1/stream' && typeof fromQuery === 'string') return fromQuery;
  return undefined;
}

/** Discarding this much unread is cheaper than a new connection; anything larger (or unannounced) is cut off. */
const DISCARDABLE_BYTES = 64 * 1024;

function largeBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return length === undefined ? request.headers['transfer-encoding'] !== undefined : Number(length) > DISCARDABLE_BYTES;
}
