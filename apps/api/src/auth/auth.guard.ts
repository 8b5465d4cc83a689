import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthError } from './auth-error.js';
import { secretOf, type Authentication, type AuthenticatedRequest } from './authenticate-first.js';
import { RateLimiter } from './rate-limiter.js';
import { neededRole, PUBLIC_KEY, ROLE_KEY, satisfies, type Role } from './roles.js';
import { TokenRegistry } from './tokens.js';

/**
 * Every route needs a token unless marked @Public; the token was looked up before the body was read
 * (authenticate-first.ts). The role a route needs is its @Requires, else viewer for reads and admin
 * for writes (a forgotten annotation fails closed).
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
    const request = context
      .switchToHttp()
      .getRequest<AuthenticatedRequest & { actor?: string; role?: Role; tokenName?: string }>();
    const authentication = request.authentication ?? (await this.authenticateLate(request));
    if ('error' in authentication) throw authentication.error;
    const { token } = authentication;
    const wait = this.limiter.take(token.id);
    if (wait > 0)
      throw new AuthError(429, 'rate_limited', `too many requests for token "${token.name}"; retry in ${wait} s`, wait);
    const needed = neededRole(request.method, this.reflector.getAllAndOverride<Role>(ROLE_KEY, targets));
    if (!satisfies(token.role, needed))
      throw new AuthError(403, 'forbidden', `this needs the ${needed} role; token "${token.name}" is ${token.role}`);
    if (token.role === 'agent') {
      const hostId = typeof request.params.id === 'string' ? request.params.id : undefined;
      if (!hostId || !(token.hosts ?? []).includes(hostId))
        throw new AuthError(403, 'forbidden', `agent token "${token.name}" is not bound to host "${hostId ?? ''}"`);
    }
    // The id, not the name: a name can be reused once its token is revoked; history must stay unambiguous.
    request.actor = `token:${token.id}`;
    request.role = token.role;
    // For messages people read (an agent's heartbeat: "agent <name> silent for …").
    request.tokenName = token.name;
    return true;
  }

  /** Only for a request that bypassed the HTTP middleware (none does today): fail closed, but still check. */
  private async authenticateLate(request: AuthenticatedRequest): Promise<Authentication> {
    const secret = secretOf(request);
    const token = secret ? await this.tokens.authenticate(secret) : undefined;
    return token ? { token } : { error: new AuthError(401, 'invalid_token', 'the API token is unknown or revoked') };
  }
}
