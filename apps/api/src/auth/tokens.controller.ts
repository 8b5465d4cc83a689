import { Body, Controller, Delete, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { boundedText, entityId } from '@ferry/domain';
import { FleetCommands } from '@ferry/fleet';
import { parseBody, refuseIfMatch, send, writeContext } from '../http/request.js';
import { Requires, ROLES } from './roles.js';
import { TokenRegistry } from './tokens.js';
import { ApiRoute } from '../openapi/route-spec.js';
import { tokenIssuedResponse, tokenListResponse, tokenRevokedResponse } from '../openapi/responses.js';

const issueSchema = z
  .strictObject({
    name: boundedText(64).regex(/^[\w.@-]{1,64}$/, 'must be 1–64 letters, digits or ._@-'),
    role: z.enum(ROLES),
    /** agent only: the hosts this agent reports for (it may not touch any other). */
    hosts: z.array(entityId).min(1).max(1000).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.role === 'agent' && !body.hosts)
      ctx.addIssue({ code: 'custom', path: ['hosts'], message: 'an agent token must name the hosts it reports for' });
    if (body.role !== 'agent' && body.hosts)
      ctx.addIssue({ code: 'custom', path: ['hosts'], message: 'only agent tokens are bound to hosts' });
  });

@Controller('v1/tokens')
@Requires('admin')
export class TokensController {
  constructor(
    @Inject(TokenRegistry) private readonly tokens: TokenRegistry,
    @Inject(FleetCommands) private readonly commands: FleetCommands,
  ) {}

  /**
   * The secret is in this answer only; Ferry keeps its SHA-256, outside the event log. With an
   * Idempotency-Key a retry mints nothing and answers with the token's id but not its secret.
   */
  @ApiRoute({
    id: 'issueToken',
    tag: 'tokens',
    summary: 'Issue an API token',
    description:
      'The secret is in this answer only; Ferry keeps its SHA-256. A replay (same Idempotency-Key) answers without it.',
    body: issueSchema,
    example: { name: 'ci-deployer', role: 'operator' },
    status: 201,
    response: tokenIssuedResponse,
    errors: [409],
    idempotent: true,
  })
  @Post()
  async issue(@Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    refuseIfMatch(request, 'a token is a new stream');
    const { name, role, hosts } = parseBody(issueSchema, body);
    const ctx = writeContext(request);
    const options = hosts ? { hosts: [...new Set(hosts)] } : {};
    return send(response, await this.commands.idempotent(ctx, () => this.tokens.issue(name, role, ctx, options)));
  }

  @ApiRoute({
    id: 'listTokens',
    tag: 'tokens',
    summary: 'API tokens (never their secrets)',
    response: tokenListResponse,
  })
  @Get()
  async list() {
    return { items: await this.tokens.list() };
  }

  @ApiRoute({
    id: 'revokeToken',
    tag: 'tokens',
    summary: 'Revoke a token',
    response: tokenRevokedResponse,
    errors: [404],
  })
  @Delete(':id')
  async revoke(@Param('id') id: string, @Req() request: Request) {
    await this.tokens.revoke(id, writeContext(request).metadata);
    return { id, revoked: true };
  }
}
