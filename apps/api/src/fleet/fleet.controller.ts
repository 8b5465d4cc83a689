import { Body, Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { fleetFileSchema } from '@ferry/domain';
import { applyFleetFile, FleetCommands } from '@ferry/fleet';
import { ValidationFailed } from '../http/problem.js';
import { parseBody, send, writeContext } from '../http/request.js';
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
    const file = parseBody(fleetFileSchema, typeof body === 'string' ? parseYamlBody(body) : body);
    return send(response, await applyFleetFile(this.commands, file, writeContext(request)));
  }
}

function parseYamlBody(text: string): unknown {
  try {
    // In the YAML core schema an unquoted 0xfee00000 is an integer, and a 64-bit one would lose
    // bits as a JavaScript number; hex scalars are kept as the strings the operator wrote.
    return parseYaml(text, {
      schema: 'core',
      customTags: (tags) =>
        tags.map((tag) =>
          typeof tag === 'object' && 'format' in tag && tag.format === 'HEX'
            ? ({ ...tag, resolve: (source: string) => source } as typeof tag)
            : tag,
        ),
      maxAliasCount: 100,
      uniqueKeys: true,
    });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const where = error.linePos?.[0] ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '';
      throw new ValidationFailed([
        { field: '(body)', message: `malformed YAML${where}: ${error.message.split('\n')[0]}` },
      ]);
    }
    throw error;
  }
}
