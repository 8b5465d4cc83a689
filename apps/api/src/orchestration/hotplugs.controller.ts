import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { boundedText, entityId, guestDeviceSchema, notFound } from '@ferry/domain';
import { EventStore, ProjectionRunner } from '@ferry/event-store';
import { FleetView, hotplugsProjection, loadHotplug, OrchestrationRuntime, requestHotplug } from '@ferry/orchestration';
import { pageOf, paging } from '../fleet/paging.js';
import { parseBody, refuseIfMatch, send, writeContext } from '../http/request.js';
import { Requires } from '../auth/roles.js';
import { ApiRoute } from '../openapi/route-spec.js';
import { hotplugPageResponse, hotplugResponse } from '../openapi/responses.js';

const requestSchema = z.strictObject({
  guestId: entityId,
  device: guestDeviceSchema,
  backend: z.enum(['emulator', 'qemu', 'libvirt']).default('emulator'),
  /** Run even if the plan is blocked: a rehearsal that records the hypervisor's own error. */
  force: z.boolean().default(false),
});
const listQuery = z.strictObject({
  state: z.enum(['requested', 'running', 'completed', 'failed', 'rejected']).optional(),
  guest: boundedText(63).optional(),
  ...paging,
});

@Controller('v1/hotplugs')
export class HotplugsController {
  constructor(
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(FleetView) private readonly fleet: FleetView,
    @Inject(ProjectionRunner) private readonly projections: ProjectionRunner,
    @Inject(OrchestrationRuntime) private readonly runtime: OrchestrationRuntime,
  ) {}

  @ApiRoute({
    id: 'requestHotplug',
    tag: 'hotplugs',
    summary: 'Plan, record and queue a hot-plug',
    description: "`force: true` runs a blocked one as a rehearsal that records the hypervisor's own error.",
    body: requestSchema,
    example: { guestId: 'vm-1', device: { id: 'nic1', kind: 'vfio', hostDevice: '0000:7d:00.0' }, backend: 'emulator' },
    status: 202,
    response: hotplugResponse,
    errors: [404, 409],
    idempotent: true,
    location: true,
  })
  @Requires('operator')
  @Post()
  async request(@Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    refuseIfMatch(request, 'a hot-plug is a new stream');
    const input = parseBody(requestSchema, body);
    const outcome = await requestHotplug(this.store, await this.fleet.snapshot(), input, writeContext(request));
    await this.runtime.enqueueHotplug(outcome.id);
    response.setHeader('Location', `/v1/hotplugs/${outcome.id}`);
    return send(response, outcome);
  }

  @ApiRoute({
    id: 'listHotplugs',
    tag: 'hotplugs',
    summary: 'Hot-plugs, newest first',
    query: listQuery,
    response: hotplugPageResponse,
  })
  @Get()
  async list(@Query() query: unknown) {
    const { state, guest, offset, limit } = parseBody(listQuery, query, 'query');
    const docs = await this.projections.documents(hotplugsProjection);
    const items = docs
      .filter((h) => (!state || h.state === state) && (!guest || h.guestId === guest))
      .sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
    return pageOf(items, offset, limit);
  }

  @ApiRoute({
    id: 'getHotplug',
    tag: 'hotplugs',
    summary: 'A hot-plug and its outcome',
    response: hotplugResponse,
    errors: [404],
  })
  @Get(':id')
  async get(@Param('id') id: string) {
    const { state, version } = await loadHotplug(this.store, id);
    if (!state) throw notFound('hotplug', id);
    return { ...state, version };
  }
}
