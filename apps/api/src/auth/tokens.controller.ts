import { Body, Controller, Delete, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { boundedText } from '@ferry/domain';
import { parseBody, writeContext } from '../http/request.js';
import { Requires, ROLES } from './roles.js';
import { TokenRegistry } from './tokens.js';

const issueSchema = z.strictObject({
  name: boundedText(64).regex(/^[\w.@-]{1,64}$/, 'must be 1–64 letters, digits or ._@-'),
  role: z.enum(ROLES),
});

@Controller('v1/tokens')
@Requires('admin')
export class TokensController {
  constructor(@Inject(TokenRegistry) private readonly tokens: TokenRegistry) {}

  /** The secret is in this answer only; Ferry keeps its SHA-256. */
  @Post()
  async issue(@Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const { name, role } = parseBody(issueSchema, body);
    response.status(201);
    return this.tokens.issue(name, role, writeContext(request).metadata);
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
