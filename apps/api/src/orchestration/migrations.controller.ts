import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { boundedText, entityId, notFound } from '@ferry/domain';
import { EventStore, ProjectionRunner } from '@ferry/event-store';
import {
  convergencePolicySchema,
  FleetView,
  migrationsProjection,
  MigrationRepository,
  migrationView,
  OrchestrationRuntime,
  requestMigration,
  MIGRATION_STATES,
  TERMINAL_STATES,
  type MigrationState,
} from '@ferry/orchestration';
import { FleetCommands } from '@ferry/fleet';
import { pageOf, paging } from '../fleet/paging.js';
import { parseBody, refuseIfMatch, send, writeContext } from '../http/request.js';
import { Requires } from '../auth/roles.js';
import { type AppConfig, APP_CONFIG } from '@ferry/nest-modules';
import { ApiRoute } from '../openapi/route-spec.js';
import { migrationPageResponse, migrationResponse } from '../openapi/responses.js';
import { policyExample } from '../openapi/examples.js';

const requestSchema = z.strictObject({
  guestId: entityId,
  destinationHostId: entityId,
  policy: convergencePolicySchema.optional(),
  /** Unset: the pool's backend, else the emulator. */
  backend: z.enum(['emulator', 'qemu', 'libvirt']).optional(),
  options: z.strictObject({ postcopy: z.boolean().optional() }).optional(),
});

const listQuery = z.strictObject({
  state: boundedText(200)
    .optional()
    .transform((s) => s?.split(','))
    .pipe(z.array(z.enum(MIGRATION_STATES)).optional()),
  guest: boundedText(63).optional(),
  host: boundedText(63).optional(),
  evacuation: boundedText(63).optional(),
  ...paging,
});

@Controller('v1/migrations')
export class MigrationsController {
  private readonly repository: MigrationRepository;

  constructor(
    @Inject(EventStore) private readonly store: EventStore,
    @Inject(FleetView) private readonly fleet: FleetView,
    @Inject(ProjectionRunner) private readonly projections: ProjectionRunner,
    @Inject(OrchestrationRuntime) private readonly runtime: OrchestrationRuntime,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FleetCommands) private readonly commands: FleetCommands,
  ) {
    this.repository = new MigrationRepository(store);
  }

  /** Plans, records and queues a migration: 202 with its id; 409 with every conflict if the plan is blocked. */
  @ApiRoute({
    id: 'requestMigration',
    tag: 'migrations',
    summary: 'Plan, record and queue a migration',
    description: '202 with the migration; 409 `migration_blocked` with every conflict when the plan is blocked.',
    body: requestSchema,
    example: { guestId: 'vm-1', destinationHostId: 'host-c', policy: policyExample, backend: 'emulator' },
    status: 202,
    response: migrationResponse,
    errors: [404, 409],
    idempotent: true,
    location: true,
  })
  @Requires('operator')
  @Post()
  async request(@Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    refuseIfMatch(request, 'a migration is a new stream (cancel takes If-Match)');
    const input = parseBody(requestSchema, body);
    const outcome = await requestMigration(this.store, await this.fleet.snapshot(), input, writeContext(request), {
      linkBandwidth: this.config.linkBandwidth,
    });
    await this.runtime.enqueueMigration(outcome.id);
    response.setHeader('Location', `/v1/migrations/${outcome.id}`);
    return send(response, outcome);
  }

  @ApiRoute({
    id: 'listMigrations',
    tag: 'migrations',
    summary: 'Migrations, newest first; `state` takes a comma-separated list',
    query: listQuery,
    response: migrationPageResponse,
  })
  @Get()
  async list(@Query() query: unknown) {
    const { state, guest, host, evacuation, offset, limit } = parseBody(listQuery, query, 'query');
    const docs = await this.projections.documents(migrationsProjection);
    const items = docs
      .filter((m) => !state || state.includes(m.state))
      .filter((m) => !guest || m.guestId === guest)
      .filter((m) => !host || m.sourceHostId === host || m.destinationHostId === host)
      .filter((m) => !evacuation || m.evacuationId === evacuation)
      .sort((a, b) => b.requestedAt.localeCompare(a.requestedAt) || a.id.localeCompare(b.id));
    return pageOf(items, offset, limit);
  }

  @ApiRoute({
    id: 'getMigration',
    tag: 'migrations',
    summary: 'A migration with its last progress',
    response: migrationResponse,
    errors: [404],
  })
  @Get(':id')
  async get(@Param('id') id: string) {
    const { state, version } = await this.repository.load(id);
    if (!state) throw notFound('migration', id);
    return migrationView(state, version);
  }

  /** Pending: cancelled at once. Running: the worker stops it and records MigrationCancelled. */
  @ApiRoute({
    id: 'cancelMigration',
    tag: 'migrations',
    summary: 'Cancel a migration',
    description: 'A pending one is cancelled at once (200); a running one is stopped by its worker (202).',
    status: 202,
    alsoStatus: { status: 200, when: 'The migration had not started: it is cancelled now' },
    response: migrationResponse,
    errors: [404, 409],
    ifMatch: true,
    idempotent: true,
  })
  @Requires('operator')
  @Post(':id/cancel')
  async cancel(@Param('id') id: string, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const ctx = writeContext(request);
    const statusOf = (state: MigrationState) => (TERMINAL_STATES.includes(state.state) ? 200 : 202);
    const outcome = await this.commands.idempotent(ctx, async () => {
      const { state } = await this.repository.load(id);
      if (!state) throw notFound('migration', id);
      const result = await this.repository.execute(
        id,
        { type: 'RequestCancel', by: ctx.metadata.actor ?? 'anonymous' },
        ctx.metadata,
        {
          expectedVersion: ctx.expectedVersion,
          idempotency: ctx.idempotency && { ...ctx.idempotency, respond: migrationView },
        },
      );
      if (result.replayed) return { ...result.replayed, replayed: true };
      return {
        status: statusOf(result.state),
        body: migrationView(result.state, (await this.repository.load(id)).version),
        replayed: false,
      };
    });
    // A replay answers with the status the first cancel got, which its body's state tells.
    return send(response, { ...outcome, status: statusOf(outcome.body as MigrationState) });
  }
}
