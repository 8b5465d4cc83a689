import { randomUUID } from 'node:crypto';
import { streamOf } from '@ferry/domain';
import type { EventStore, IdempotencyOptions } from '@ferry/event-store';
import type { WriteContext, WriteOutcome } from '@ferry/fleet';
import { planMigration, type FleetSnapshot, type MigrationPlan } from '@ferry/planner';
import { convergenceForecast } from './convergence-forecast.js';
import { PlanBlockedError, snapshotOf } from '../plan-snapshot.js';
import { effectivePolicy, type ConvergencePolicy, type ConvergencePolicyInput } from './convergence-policy.js';
import { loadPoolPolicy } from './pool-policy.js';
import { decideMigration, evolveMigration, type MigrationState } from './migration-decider.js';
import type { MigrationEvent } from './migration-events.js';

export interface MigrationRequest {
  guestId: string;
  destinationHostId: string;
  policy?: ConvergencePolicyInput;
  backend?: 'emulator' | 'qemu' | 'libvirt';
  options?: { postcopy?: boolean };
}

/** Adds the convergence forecast (a warning) to a migration plan that is not already blocked. */
export function withForecast<P extends MigrationPlan>(
  fleet: FleetSnapshot,
  plan: P,
  policy: ConvergencePolicy,
  linkBandwidth: number,
): P {
  if (plan.verdict === 'blocked') return plan;
  const guest = fleet.guests.get(plan.inputs.guest.id);
  const forecast = guest && convergenceForecast(guest, plan.inputs.guest.version ?? 0, policy, linkBandwidth);
  if (!forecast) return plan;
  return { ...plan, verdict: 'warnings', conflicts: [...plan.conflicts, forecast] };
}

export function migrationView(state: MigrationState, version: number) {
  return { ...state, version };
}

/**
 * Plans the migration against the fleet as it is now; a blocked plan is refused with every
 * conflict. Otherwise MigrationRequested is recorded with the plan and its input versions, so the
 * worker can tell whether facts moved before it runs.
 */
export function buildMigrationRequest(
  fleet: FleetSnapshot,
  request: MigrationRequest,
  extra: {
    id?: string;
    evacuationId?: string | null;
    poolPolicy?: ConvergencePolicyInput;
    /** Bytes per second between hosts, for the convergence forecast. */
    linkBandwidth: number;
  },
): { id: string; events: MigrationEvent[]; state: MigrationState } {
  const postcopy = request.options?.postcopy ?? request.policy?.onTimeout === 'postcopy';
  const policy = effectivePolicy(extra.poolPolicy, request.policy);
  const plan = withForecast(
    fleet,
    planMigration(fleet, request.guestId, request.destinationHostId, { postcopy }),
    policy,
    extra.linkBandwidth,
  );
  if (plan.verdict === 'blocked') throw new PlanBlockedError('migration', plan.conflicts);
  const guest = fleet.guests.get(request.guestId)!;
  const id = extra.id ?? randomUUID();
  const events = decideMigration(
    {
      type: 'RequestMigration',
      data: {
        migrationId: id,
        guestId: request.guestId,
        sourceHostId: guest.hostId!,
        destinationHostId: request.destinationHostId,
        policy,
        backend: request.backend ?? 'emulator',
        plan: snapshotOf(plan),
        evacuationId: extra.evacuationId ?? null,
      },
    },
    undefined,
  );
  return { id, events, state: events.reduce<MigrationState | undefined>(evolveMigration, undefined)! };
}

export async function requestMigration(
  store: EventStore,
  fleet: FleetSnapshot,
  request: MigrationRequest,
  ctx: WriteContext,
  options: { linkBandwidth: number },
): Promise<WriteOutcome & { id: string }> {
  // The pool of the host the guest runs on supplies defaults for policy and backend.
  const sourcePool = fleet.hosts.get(fleet.guests.get(request.guestId)?.hostId ?? '')?.host.pool;
  const pool = (await loadPoolPolicy(store, sourcePool)).value;
  const withPool = { ...request, backend: request.backend ?? pool?.backend };
  const { id, events, state } = buildMigrationRequest(fleet, withPool, {
    poolPolicy: pool?.policy,
    linkBandwidth: options.linkBandwidth,
  });
  const body = migrationView(state, events.length);
  const idempotency: IdempotencyOptions | undefined = ctx.idempotency && {
    ...ctx.idempotency,
    respond: () => ({ status: 202, body }),
  };
  const outcome = await store.appendMany(
    [
      {
        streamId: streamOf.migration(id),
        expectedVersion: 'no-stream',
        events: events.map((e) => ({ type: e.type, data: e.data, metadata: ctx.metadata })),
      },
    ],
    idempotency,
  );
  if (outcome.kind === 'replayed')
    return {
      status: outcome.record.status,
      body: outcome.record.body,
      replayed: true,
      id: (outcome.record.body as { id: string }).id,
    };
  return { status: 202, body, replayed: false, id };
}
