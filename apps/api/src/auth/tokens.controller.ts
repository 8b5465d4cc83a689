import { Body, Controller, Delete, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { entityId } from '@ferry/domain';
import { parseBody, writeContext } from '../http/request.js';
import { Requires, ROLES } from './roles.js';
import { TokenRegistry } from './tokens.js';

const issueSchema = z
  .strictObject({
    name: z.string().regex(/^[\w.@-]{1,64}$/, 'must be 1–64 letters, digits or ._@-'),
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
  constructor(@Inject(TokenRegistry) private readonly tokens: TokenRegistry) {}

  /** The secret is in this answer only; Ferry keeps its SHA-256. */
  @Post()
  async issue(@Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const { name, role, hosts } = parseBody(issueSchema, body);
    response.status(201);
    return this.tokens.issue(name, role, writeContext(request).metadata, hosts ? { hosts: [...new Set(hosts)] } : {});
  }

  @Get()
  async list() {
    return { items: await this.tokens.list() };
  }

  @Delete(':id')
  async revoke(@Param('id') id: string, @Req() request: Request) {
    await this.tokens.revoke(id, writeContext(request).metadata);
    return { id, revoked: true };
  }
}
