import { Body, Controller, Delete, Get, Inject, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { boundedText, guestDeviceSchema, guestSchema, hotplugReservationSchema, notFound } from '@ferry/domain';
import { FleetCommands, guestView, liveGuest } from '@ferry/fleet';
import { FleetView } from '@ferry/orchestration';
import { etagOf, parseBody, send, writeContext } from '../http/request.js';
import { paging } from './paging.js';
import { Requires } from '../auth/roles.js';
import { ApiRoute } from '../openapi/route-spec.js';
import { guestPageResponse, guestResponse } from '../openapi/responses.js';
import { guestExample } from '../openapi/examples.js';

const listQuery = z.strictObject({ host: boundedText(63).optional(), machine: boundedText(64).optional(), ...paging });
const getQuery = z.strictObject({ asOf: z.coerce.number().int().min(0).optional() });
const policySchema = z.strictObject({ iommuPlatform: z.boolean().nullable() });

@Controller('v1/guests')
export class GuestsController {
  constructor(
    @Inject(FleetCommands) private readonly commands: FleetCommands,
    @Inject(FleetView) private readonly fleet: FleetView,
  ) {}

  @ApiRoute({
    id: 'defineGuest',
    tag: 'guests',
    summary: 'Define a guest (its memory map is derived and recorded now)',
    body: guestSchema,
    example: guestExample,
    status: 201,
    response: guestResponse,
    errors: [404, 409],
    etag: true,
    idempotent: true,
  })
  @Requires('admin')
  @Post()
  async define(@Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const guest = parseBody(guestSchema, body);
    return send(response, await this.commands.defineGuest(guest, writeContext(request)));
  }

  /** From the in-memory fleet view: filter and page first, then build views for the page only. */
  @ApiRoute({
    id: 'listGuests',
    tag: 'guests',
    summary: 'List guests, filtered and paged',
    query: listQuery,
    response: guestPageResponse,
  })
  @Get()
  async list(@Query() query: unknown) {
    const { host, machine, offset, limit } = parseBody(listQuery, query, 'query');
    const snapshot = await this.fleet.snapshot();
    const guests = [...snapshot.guests.values()]
      .filter(
        (g) => (host === undefined || g.hostId === host) && (machine === undefined || g.definition.machine === machine),
      )
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const page = guests
      .slice(offset, offset + limit)
      .map((g) => guestView(g, snapshot.versions?.guests?.get(g.id) ?? 0, snapshot.machineDefaults));
    return { items: page, total: guests.length, offset, limit };
  }

  /** The guest now, or with ?asOf=<global position> the guest as it was then. */
  @ApiRoute({
    id: 'getGuest',
    tag: 'guests',
    summary: 'A guest with its memory map; ?asOf=<position> for the guest as it was then',
    description: 'The ETag is set only for the guest as it is now (without asOf).',
    query: getQuery,
    response: guestResponse,
    errors: [404],
    etag: true,
  })
  @Get(':id')
  async get(@Param('id') id: string, @Query() query: unknown, @Res({ passthrough: true }) response: Response) {
    const { asOf } = parseBody(getQuery, query, 'query');
    const { state, version } = await this.commands.repository.loadGuest(id, { upToPosition: asOf });
    if (!liveGuest(state)) throw notFound('guest', id);
    const defaults = (await this.commands.repository.loadMachineDefaults()).state;
    if (asOf === undefined) response.setHeader('ETag', etagOf(version));
    return guestView(state, version, defaults);
  }

  @ApiRoute({
    id: 'attachDevice',
    tag: 'guests',
    summary: 'Attach a device',
    body: guestDeviceSchema,
    example: { id: 'net1', kind: 'vfio', hostDevice: '0000:81:00.0' },
    status: 201,
    response: guestResponse,
    errors: [404, 409],
    etag: true,
    ifMatch: true,
    idempotent: true,
  })
  @Requires('admin')
  @Post(':id/devices')
  async attach(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const device = parseBody(guestDeviceSchema, body);
    return send(
      response,
      await this.commands.guestCommand(id, { type: 'AttachDevice', device }, writeContext(request), 201),
    );
  }

  @ApiRoute({
    id: 'detachDevice',
    tag: 'guests',
    summary: 'Detach a device',
    response: guestResponse,
    errors: [404],
    etag: true,
    ifMatch: true,
    idempotent: true,
  })
  @Requires('admin')
  @Delete(':id/devices/:deviceId')
  async detach(
    @Param('id') id: string,
    @Param('deviceId') deviceId: string,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    return send(
      response,
      await this.commands.guestCommand(id, { type: 'DetachDevice', deviceId }, writeContext(request)),
    );
  }

  /** Sets a device's iommu_platform; null returns it to the machine family's default. */
  @ApiRoute({
    id: 'setDeviceIommuPolicy',
    tag: 'guests',
    summary: "Set a virtio device's iommu_platform (null: the machine family's default)",
    body: policySchema,
    example: { iommuPlatform: true },
    response: guestResponse,
    errors: [404],
    etag: true,
    ifMatch: true,
    idempotent: true,
  })
  @Requires('admin')
  @Put(':id/devices/:deviceId/iommu-policy')
  async setPolicy(
    @Param('id') id: string,
    @Param('deviceId') deviceId: string,
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const { iommuPlatform } = parseBody(policySchema, body);
    return send(
      response,
      await this.commands.guestCommand(
        id,
        { type: 'SetDeviceIommuPolicy', deviceId, iommuPlatform },
        writeContext(request),
      ),
    );
  }

  @ApiRoute({
    id: 'reserveHotplug',
    tag: 'guests',
    summary: 'Reserve a future hot-plug',
    body: hotplugReservationSchema,
    example: { id: 'gpu-1', kind: 'vfio', deviceClass: 'gpu', size: '16GiB' },
    status: 201,
    response: guestResponse,
    errors: [404, 409],
    etag: true,
    ifMatch: true,
    idempotent: true,
  })
  @Requires('admin')
  @Post(':id/hotplug-reservations')
  async reserve(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const reservation = parseBody(hotplugReservationSchema, body);
    return send(
      response,
      await this.commands.guestCommand(id, { type: 'AddHotplugReservation', reservation }, writeContext(request), 201),
    );
  }

  @ApiRoute({
    id: 'removeHotplugReservation',
    tag: 'guests',
    summary: 'Remove a hot-plug reservation',
    response: guestResponse,
    errors: [404],
    etag: true,
    ifMatch: true,
    idempotent: true,
  })
  @Requires('admin')
  @Delete(':id/hotplug-reservations/:reservationId')
  async unreserve(
    @Param('id') id: string,
    @Param('reservationId') reservationId: string,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    return send(
      response,
      await this.commands.guestCommand(id, { type: 'RemoveHotplugReservation', reservationId }, writeContext(request)),
    );
  }
}
