import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AuthError } from './auth-error.js';
import { RateLimiter } from './rate-limiter.js';
import { PUBLIC_KEY, ROLE_KEY, satisfies, type Role } from './roles.js';
import { TokenRegistry } from './tokens.js';

/**
 * Every route needs a token unless marked @Public. `Authorization: Bearer <token>`; EventSource
 * cannot send headers, so GET /v1/stream also takes `?access_token=`. The role a route needs is
 * its @Requires, else viewer for reads and admin for writes (a forgotten annotation fails closed).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokenRegistry) private readonly tokens: TokenRegistry,
    @Inject(RateLimiter) private readonly limiter: RateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<Request & { actor?: string; role?: Role }>();
    const secret = secretOf(request);
    if (!secret)
      throw new AuthError(401, 'unauthenticated', 'an API token is required: send "Authorization: Bearer <token>"');
    const token = await this.tokens.authenticate(secret);
    if (!token) throw new AuthError(401, 'invalid_token', 'the API token is unknown or revoked');
    const wait = this.limiter.take(token.id);
    if (wait > 0)
      throw new AuthError(429, 'rate_limited', `too many requests for token "${token.name}"; retry in ${wait} s`, wait);
    const safe = request.method === 'GET' || request.method === 'HEAD';
    const needed = this.reflector.getAllAndOverride<Role>(ROLE_KEY, targets) ?? (safe ? 'viewer' : 'admin');
    if (!satisfies(token.role, needed))
      throw new AuthError(403, 'forbidden', `this needs the ${needed} role; token "${token.name}" is ${token.role}`);
    if (token.role === 'agent') {
      const hostId = typeof request.params.id === 'string' ? request.params.id : undefined;
      if (!hostId || !(token.hosts ?? []).includes(hostId))
        throw new AuthError(403, 'forbidden', `agent token "${token.name}" is not bound to host "${hostId ?? ''}"`);
    }
    request.actor = `token:${token.name}`;
    request.role = token.role;
    return true;
  }
}

function secretOf(request: Request): string | undefined {
  const header = request.headers.authorization;
  if (header) return /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  const fromQuery = request.query.access_token;
  if (request.method === 'GET' && request.path === '/v1/stream' && typeof fromQuery === 'string') return fromQuery;
  return undefined;
}
