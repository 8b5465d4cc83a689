import { Body, Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { boundedText, notFound } from '@ferry/domain';
import { EventStore, ProjectionRunner } from '@ferry/event-store';
import {
  convergencePolicySchema,
  evacuationLink,
  evacuationsProjection,
  FleetView,
  migrationsProjection,
  OrchestrationRuntime,
  requestEvacuation,
} from '@ferry/orchestration';
import { parseBody, send, writeContext } from '../http/request.js';
import { Requires } from '../auth/roles.js';
import { type AppConfig, APP_CONFIG } from '@ferry/nest-modules';
import { ApiRoute } from '../openapi/route-spec.js';
import { evacuationResponse, evacuationStartedResponse } from '../openapi/responses.js';
import { policyExample } from '../openapi/examples.js';

const evacuateSchema = z.strictObject({
  reason: boundedText(500).optional(),
  policy: convergencePolicySchema.optional(),
});

@Controller('v1')
export class EvacuationsController {
  constructor(
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(FleetView) private readonly fleet: FleetView,
    @Inject(ProjectionRunner) private readonly projections: ProjectionRunner,
    @Inject(OrchestrationRuntime) private readonly runtime: OrchestrationRuntime,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Cordons the host and queues a migration for every guest that has a safe destination. */
  @ApiRoute({
    id: 'evacuateHost',
    tag: 'evacuations',
    summary: 'Cordon the host and queue a migration for every guest that has a safe destination',
    body: evacuateSchema,
    bodyOptional: true,
    example: { reason: 'DIMM replacement', policy: policyExample },
    status: 202,
    response: evacuationStartedResponse,
    errors: [404, 409],
    description:
      "Guests without one are listed in `unplaceable` with their conflicts. `If-Match` is the host's version.",
    ifMatch: true,
    idempotent: true,
    location: true,
  })
  @Requires('operator')
  @Post('hosts/:id/evacuate')
  async evacuate(
    @Param('id') hostId: string,
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const options = parseBody(evacuateSchema, body ?? {});
    const link = evacuationLink(this.config);
    const outcome = await requestEvacuation(
      this.store,
      await this.fleet.snapshot(),
      hostId,
      { ...options, link },
      writeContext(request),
    );
    for (const id of outcome.migrationIds) await this.runtime.enqueueMigration(id);
    response.setHeader('Location', `/v1/evacuations/${outcome.id}`);
    return send(response, outcome);
  }

  /** The evacuation and the state of each of its migrations. */
  @ApiRoute({
    id: 'getEvacuation',
    tag: 'evacuations',
    summary: 'An evacuation and the state of each of its migrations',
    response: evacuationResponse,
    errors: [404],
  })
  @Get('evacuations/:id')
  async get(@Param('id') id: string) {
    const evacuation = await this.projections.document(evacuationsProjection, id);
    if (!evacuation) throw notFound('evacuation', id);
    const migrations = (await this.projections.documents(migrationsProjection)).filter((m) => m.evacuationId === id);
    const byId = new Map(migrations.map((m) => [m.id, m]));
    const moves = evacuation.moves.map((move) => {
      const m = byId.get(move.migrationId);
      return {
        ...move,
        state: m?.state ?? 'unknown',
        waitingReason: m?.waitingReason ?? null,
        outcome: m?.outcome ?? null,
        lastProgress: m?.lastProgress ?? null,
      };
    });
    const count = (...states: string[]) => moves.filter((m) => states.includes(m.state)).length;
    return {
      ...evacuation,
      moves,
      total: moves.length,
      completed: count('completed'),
      failed: count('failed', 'rejected', 'cancelled'),
      running: count('running'),
      waiting: count('requested', 'waiting'),
      done: count('completed', 'failed', 'rejected', 'cancelled') === moves.length,
    };
  }
}
