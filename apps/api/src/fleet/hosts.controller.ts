import { Body, Controller, Get, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { boundedText, hostPatchSchema, hostSchema, notFound, parseHostPatch, type HostState } from '@ferry/domain';
import { FleetCommands, hostView, liveHost } from '@ferry/fleet';
import { FleetView } from '@ferry/orchestration';
import { ValidationFailed, zodProblems } from '../http/problem.js';
import { etagOf, parseBody, send, writeContext } from '../http/request.js';
import { paging } from './paging.js';
import { Requires } from '../auth/roles.js';
import { ApiRoute } from '../openapi/route-spec.js';
import { hostPageResponse, hostResponse } from '../openapi/responses.js';
import { hostExample } from '../openapi/examples.js';

const reasonSchema = z.strictObject({ reason: boundedText(500).default('cordoned by operator') });
const listQuery = z.strictObject({
  pool: boundedText(63).optional(),
  arch: boundedText(63).optional(),
  cordoned: z.enum(['true', 'false']).optional(),
  ...paging,
});

@Controller('v1/hosts')
export class HostsController {
  constructor(
    @Inject(FleetCommands) private readonly commands: FleetCommands,
    @Inject(FleetView) private readonly fleet: FleetView,
  ) {}

  @ApiRoute({
    id: 'registerHost',
    tag: 'hosts',
    summary: 'Register a host',
    body: hostSchema,
    example: hostExample,
    status: 201,
    response: hostResponse,
    errors: [409],
    etag: true,
    idempotent: true,
  })
  @Requires('admin')
  @Post()
  async register(@Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const host = parseBody(hostSchema, body);
    return send(response, await this.commands.registerHost(host, writeContext(request)));
  }

  /** From the in-memory fleet view (live hosts), filtered and paged before views are built. */
  @ApiRoute({
    id: 'listHosts',
    tag: 'hosts',
    summary: 'List live hosts, filtered and paged',
    query: listQuery,
    response: hostPageResponse,
  })
  @Get()
  async list(@Query() query: unknown) {
    const { pool, arch, cordoned, offset, limit } = parseBody(listQuery, query, 'query');
    const snapshot = await this.fleet.snapshot();
    const hosts = [...snapshot.hosts.values()]
      .filter(
        ({ host, cordoned: c }) =>
          (pool === undefined || host.pool === pool) &&
          (arch === undefined || host.arch === arch) &&
          (cordoned === undefined || String(c !== null) === cordoned),
      )
      .sort((a, b) => (a.host.id < b.host.id ? -1 : a.host.id > b.host.id ? 1 : 0));
    const page = hosts
      .slice(offset, offset + limit)
      .map((h) => hostView(h, snapshot.versions?.hosts?.get(h.host.id) ?? 0));
    return { items: page, total: hosts.length, offset, limit };
  }

  @ApiRoute({
    id: 'getHost',
    tag: 'hosts',
    summary: 'A host and its ETag',
    response: hostResponse,
    errors: [404],
    etag: true,
  })
  @Get(':id')
  async get(@Param('id') id: string, @Res({ passthrough: true }) response: Response) {
    const { state, version } = await this.commands.repository.loadHost(id);
    if (!liveHost(state)) throw notFound('host', id);
    response.setHeader('ETag', etagOf(version));
    return hostView(state as HostState, version);
  }

  @ApiRoute({
    id: 'updateHost',
    tag: 'hosts',
    summary: 'Report host facts (only the facts sent change)',
    body: hostPatchSchema,
    example: { kernel: '6.9.2', iommu: hostExample.iommu },
    response: hostResponse,
    errors: [404],
    etag: true,
    ifMatch: true,
    idempotent: true,
  })
  @Requires('admin')
  @Patch(':id')
  async update(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const parsed = parseHostPatch(body ?? {});
    if (!parsed.success) throw new ValidationFailed(zodProblems(parsed.error));
    const facts = parsed.data;
    return send(response, await this.commands.updateHost(id, facts, writeContext(request)));
  }

  @ApiRoute({
    id: 'cordonHost',
    tag: 'hosts',
    summary: 'Cordon a host: no guest will be planned onto it',
    body: reasonSchema,
    bodyOptional: true,
    example: { reason: 'firmware update' },
    response: hostResponse,
    errors: [404],
    etag: true,
    ifMatch: true,
    idempotent: true,
  })
  @Requires('admin')
  @Post(':id/cordon')
  async cordon(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const { reason } = parseBody(reasonSchema, body ?? {});
    return send(response, await this.commands.hostCommand(id, { type: 'CordonHost', reason }, writeContext(request)));
  }

  @ApiRoute({
    id: 'uncordonHost',
    tag: 'hosts',
    summary: 'Uncordon a host',
    response: hostResponse,
    errors: [404],
    etag: true,
    ifMatch: true,
    idempotent: true,
  })
  @Requires('admin')
  @Post(':id/uncordon')
  async uncordon(@Param('id') id: string, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    return send(response, await this.commands.hostCommand(id, { type: 'UncordonHost' }, writeContext(request)));
  }
}
