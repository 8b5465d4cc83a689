import { Body, Controller, Get, Inject, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { machineDefaultSchema } from '@ferry/domain';
import { FleetCommands } from '@ferry/fleet';
import { etagOf, parseBody, send, writeContext } from '../http/request.js';
import { Requires } from '../auth/roles.js';
import { ApiRoute } from '../openapi/route-spec.js';
import { machineDefaultsResponse } from '../openapi/responses.js';
import { machineDefaultsExample } from '../openapi/examples.js';

const bodySchema = z.strictObject({ machineDefaults: z.array(machineDefaultSchema).max(1000) });

/** Per machine-family default for virtio iommu_platform; each device may override it. */
@Controller('v1/machine-defaults')
export class MachineDefaultsController {
  constructor(@Inject(FleetCommands) private readonly commands: FleetCommands) {}

  @ApiRoute({
    id: 'getMachineDefaults',
    tag: 'machine-defaults',
    summary: 'Per machine-family virtio iommu_platform defaults',
    response: machineDefaultsResponse,
    etag: true,
  })
  @Get()
  async get(@Res({ passthrough: true }) response: Response) {
    const { state, version } = await this.commands.repository.loadMachineDefaults();
    response.setHeader('ETag', etagOf(version));
    return { machineDefaults: state, version };
  }

  @ApiRoute({
    id: 'setMachineDefaults',
    tag: 'machine-defaults',
    summary: 'Replace the machine defaults',
    body: bodySchema,
    example: { machineDefaults: machineDefaultsExample },
    response: machineDefaultsResponse,
    etag: true,
    ifMatch: true,
    idempotent: true,
  })
  @Requires('admin')
  @Put()
  async set(@Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const { machineDefaults } = parseBody(bodySchema, body);
    return send(response, await this.commands.setMachineDefaults(machineDefaults, writeContext(request)));
  }
}
