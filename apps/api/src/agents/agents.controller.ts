import { Body, Controller, HttpCode, Inject, Param, Post, Put, Req } from '@nestjs/common';
import type { Request } from 'express';
import { z } from 'zod';
import { guestLibvirtSchema } from '@ferry/domain';
import { liveOrThrow } from './agent-support.js';
import { agentReportSchema, applyAgentReport, FleetCommands } from '@ferry/fleet';
import { FleetView } from '@ferry/orchestration';
import { EventStore } from '@ferry/event-store';
import { Requires } from '../auth/roles.js';
import { ApiRoute } from '../openapi/route-spec.js';
import {
  agentReportExample,
  agentReportResponse,
  gateExample,
  gateResponse,
  heartbeatResponse,
} from './agent-openapi.js';
import { parseBody, writeContext } from '../http/request.js';
import { HeartbeatStore } from './heartbeats.js';
import { decideGate } from './migration-gate.js';
import { UnfinishedMigrations } from './unfinished-migrations.js';

export const gateSchema = z.strictObject({
  domain: guestLibvirtSchema,
  /** What libvirt asked the hook: only `migrate` is gated today. */
  operation: z.enum(['migrate']).default('migrate'),
});

/**
 * What a host agent (and the hook it installs) may do, for the hosts its token is bound to: report
 * the host's facts and running domains, heartbeat, and ask the migration gate.
 */
@Controller('v1/hosts/:id')
@Requires('agent')
export class AgentsController {
  constructor(
    @Inject(FleetCommands) private readonly commands: FleetCommands,
    @Inject(FleetView) private readonly fleet: FleetView,
    @Inject(HeartbeatStore) private readonly heartbeats: HeartbeatStore,
    @Inject(UnfinishedMigrations) private readonly migrations: UnfinishedMigrations,
    @Inject(EventStore) private readonly store: EventStore,
  ) {}

  /** The host's whole current view; only differences become events (a repeat writes nothing). */
  @ApiRoute({
    id: 'reportHostAsAgent',
    tag: 'agents',
    summary: "A host agent's report: the host's facts and the domains running on it",
    description:
      'Only differences from the log become events: a repeated report writes nothing. Unknown domains become ' +
      'guests mapped by UUID; a known domain running here moves its guest unless a Ferry migration of it is ' +
      'unfinished (placementDeferred). Counts as a heartbeat. Agent tokens may call it for their own hosts only.',
    params: { id: 'the host this agent reports for' },
    body: agentReportSchema,
    example: agentReportExample,
    response: agentReportResponse,
    errors: [404, 409],
  })
  @Put('agent-report')
  async report(@Param('id') id: string, @Body() body: unknown, @Req() request: Request) {
    const report = parseBody(agentReportSchema, body);
    const ctx = { ...writeContext(request), expectedVersion: undefined, idempotency: undefined };
    const snapshot = await this.fleet.snapshot();
    const migrating = new Set((await this.migrations.list()).map((m) => m.guestId));
    const outcome = await applyAgentReport(this.commands, id, report, snapshot.guests, migrating, ctx);
    const beat = await this.beat(id, request);
    return { ...outcome, eventsWritten: outcome.eventsWritten + beat.eventsWritten, reachable: true };
  }

  @ApiRoute({
    id: 'agentHeartbeat',
    tag: 'agents',
    summary: "A host agent's heartbeat: the host is reachable (an unreachable one becomes reachable again)",
    params: { id: 'the host this agent reports for' },
    response: heartbeatResponse,
    errors: [404],
  })
  @Post('heartbeat')
  @HttpCode(200)
  async heartbeat(@Param('id') id: string, @Req() request: Request) {
    liveOrThrow((await this.commands.repository.loadHost(id)).state, id);
    return { hostId: id, reachable: true, ...(await this.beat(id, request)) };
  }

  /** Asked by the libvirt hook on the destination at `migrate begin`; every answer is recorded. */
  @ApiRoute({
    id: 'migrationGate',
    tag: 'agents',
    summary: 'May this libvirt domain migrate to this host? (asked by the libvirt hook; recorded as MigrationGated)',
    params: { id: 'the destination host' },
    body: gateSchema,
    example: gateExample,
    response: gateResponse,
    errors: [404],
  })
  @Post('migration-gate')
  @HttpCode(200)
  async gate(@Param('id') id: string, @Body() body: unknown, @Req() request: Request) {
    const { domain } = parseBody(gateSchema, body);
    const snapshot = await this.fleet.snapshot();
    liveOrThrow(snapshot.hosts.get(id), id);
    const answer = decideGate(snapshot, id, domain, await this.migrations.list());
    const { metadata } = writeContext(request);
    await this.store.append(`gate-${id}`, [
      {
        type: 'MigrationGated',
        data: {
          hostId: id,
          guestId: answer.guestId,
          domain: answer.domain,
          decision: answer.decision,
          reason: answer.reason,
          startedBy: answer.startedBy,
          conflicts: answer.conflicts.map(({ code, severity, message }) => ({ code, severity, message })),
        },
        metadata,
      },
    ]);
    return answer;
  }

  /** Records the heartbeat; a host that was unreachable becomes reachable again (one event). */
  private async beat(id: string, request: Request): Promise<{ eventsWritten: number; lastSeenAt: string }> {
    const now = Date.now();
    const agent = (request as Request & { tokenName?: string }).tokenName ?? 'unknown';
    await this.heartbeats.beat(id, agent, now);
    const { state } = await this.commands.repository.loadHost(id);
    let eventsWritten = 0;
    if (state?.unreachable) {
      const ctx = { metadata: writeContext(request).metadata };
      const outcome = await this.commands.hostCommand(id, { type: 'MarkHostReachable', agent }, ctx);
      eventsWritten = outcome.replayed ? 0 : 1;
    }
    return { eventsWritten, lastSeenAt: new Date(now).toISOString() };
  }
}
