import { Body, Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { fleetFileSchema } from '@ferry/domain';
import { applyFleetFile, FleetCommands } from '@ferry/fleet';
import { parseFleetYaml } from './fleet-yaml.js';
import { parseBody, refuseIfMatch, send, writeContext } from '../http/request.js';
import { Requires } from '../auth/roles.js';
import { ApiRoute } from '../openapi/route-spec.js';
import { fleetApplyResponse } from '../openapi/responses.js';
import { fleetExample } from '../openapi/examples.js';

@Controller('v1/fleet')
export class FleetController {
  constructor(@Inject(FleetCommands) private readonly commands: FleetCommands) {}

  /** Applies a fleet file (JSON or YAML) as desired state; only differences become events. */
  @ApiRoute({
    id: 'applyFleet',
    tag: 'fleet',
    summary: 'Apply a fleet file (JSON, or YAML with content-type application/yaml) in one transaction',
    description:
      'Idempotent: only differences become events; a rejected file writes nothing and names every field at fault.',
    body: fleetFileSchema,
    example: fleetExample,
    yaml: true,
    response: fleetApplyResponse,
    errors: [404, 409],
    idempotent: true,
  })
  @Requires('admin')
  @Post()
  async apply(@Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    refuseIfMatch(
      request,
      'a fleet file is desired state across many streams, re-diffed when any of them moves (there is no one version to match)',
    );
    const file = parseBody(fleetFileSchema, typeof body === 'string' ? parseFleetYaml(body) : body);
    return send(response, await applyFleetFile(this.commands, file, writeContext(request)));
  }
}
