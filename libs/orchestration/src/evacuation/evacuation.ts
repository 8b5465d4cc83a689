import { randomUUID } from 'node:crypto';
import { decideHost, formatSize, notFound, parseSize, streamOf, type DomainEvent } from '@ferry/domain';
import type { AppendRequest, EventStore, IdempotencyOptions } from '@ferry/event-store';
import type { WriteContext, WriteOutcome } from '@ferry/fleet';
import { rankDestinations, type Conflict, type FleetSnapshot } from '@ferry/planner';
import { buildMigrationRequest } from '../migration/request-migration.js';
import type { ConvergencePolicyInput } from '../migration/convergence-policy.js';
import { pagesPerSecond } from '../migration/emulator-spec.js';
import { scheduleEvacuation, type MoveToSchedule, type SharedLink } from '../scheduling/index.js';
import { loadPoolPolicy } from '../migration/pool-policy.js';

export interface EvacuationMove {
  guestId: string;
  destinationHostId: string;
  migrationId: string;
}

export interface Unplaceable {
  guestId: string;
  reason: string;
  conflicts: Conflict[];
}

export interface ScheduleSummary {
  maxConcurrent: number;
  estimatedMakespanS: number;
  lowerBoundS: number;
}

export type EvacuationEvent = DomainEvent<
  'EvacuationStarted',
  {
    evacuationId: string;
    hostId: string;
    moves: EvacuationMove[];
    unplaceable: Unplaceable[];
    schedule: ScheduleSummary | null;
  }
>;

const guestSize = (fleet: FleetSnapshot, id: string) => {
  const memory = fleet.guests.get(id)!.definition.memory;
  return memory.max ?? memory.ram;
};

/** What the scheduler needs to know of a guest: its RAM and how fast it dirties it. */
function moveToSchedule(fleet: FleetSnapshot, guestId: string): MoveToSchedule {
  const guest = fleet.guests.get(guestId)!;
  const ramBytes = guest.memoryMap
    .filter((e) => e.kind === 'ram')
    .reduce((sum, e) => sum + Number(e.end - e.start + 1n), 0);
  const workingSet = guest.migration?.workingSet;
  return {
    id: guestId,
    ramBytes,
    dirtyBytesPerSecond: pagesPerSecond(guest.migration?.dirtyRate) * 4096,
    ...(workingSet === undefined ? {} : { workingSetBytes: Number(workingSet) }),
  };
}

/**
 * Picks a destination for every guest on the host: never a blocked one, the biggest guests first,
 * each onto the allowed host with the most memory left after the guests already assigned there
 * (so load spreads and memory is respected). Guests with no safe destination are listed with the
 * conflicts of their best candidate and are not moved.
 */
export function planEvacuation(
  fleet: FleetSnapshot,
  hostId: string,
): { moves: Omit<EvacuationMove, 'migrationId'>[]; unplaceable: Unplaceable[] } {
  const guests = [...fleet.guests.values()].filter((g) => g.hostId === hostId && !g.removed).map((g) => g.id);
  guests.sort((a, b) =>
    guestSize(fleet, b) > guestSize(fleet, a) ? 1 : guestSize(fleet, b) < guestSize(fleet, a) ? -1 : a.localeCompare(b),
  );
  // A pool is "the hosts a guest may visit" (docs/fleet-format.md#hosts): a pooled host evacuates within its pool.
  const pool = fleet.hosts.get(hostId)?.host.pool;
  const allowed = (id: string) => id !== hostId && (pool === undefined || fleet.hosts.get(id)?.host.pool === pool);
  const assigned = new Map<string, bigint>();
  const moves: Omit<EvacuationMove, 'migrationId'>[] = [];
  const unplaceable: Unplaceable[] = [];
  for (const guestId of guests) {
    const ranking = rankDestinations(fleet, guestId);
    const need = guestSize(fleet, guestId);
    const candidates = ranking.destinations
      .filter((d) => d.verdict !== 'blocked' && allowed(d.host.id))
      .map((d) => ({
        id: d.host.id,
        verdict: d.verdict,
        free: parseSize(d.freeMemory) - (assigned.get(d.host.id) ?? 0n),
      }))
      .filter((d) => d.free >= need)
      .sort((a, b) =>
        a.verdict !== b.verdict
          ? a.verdict === 'ok'
            ? -1
            : 1
          : b.free > a.free
            ? 1
            : b.free < a.free
              ? -1
              : a.id.localeCompare(b.id),
      );
    const best = candidates[0];
    if (!best) {
      const nearest = ranking.destinations.find((d) => allowed(d.host.id));
      unplaceable.push({
        guestId,
        reason: nearest
          ? `no host${pool ? ` in pool ${pool}` : ''} without blocking conflicts and with ${formatSize(need)} free`
          : `no other host${pool ? ` in pool ${pool}` : ''}`,
        conflicts: nearest?.conflicts ?? [],
      });
      continue;
    }
    assigned.set(best.id, (assigned.get(best.id) ?? 0n) + need);
    moves.push({ guestId, destinationHostId: best.id });
  }
  return { moves, unplaceable };
}

/** Cordons the host and records the evacuation and all its migrations in one transaction. */
export async function requestEvacuation(
  store: EventStore,
  fleet: FleetSnapshot,
  hostId: string,
  /** The link as the scheduler sees it: `evacuationLink(config)` (scheduling/link-model.ts). */
  options: { policy?: ConvergencePolicyInput; reason?: string; link: SharedLink },
  ctx: WriteContext,
): Promise<WriteOutcome & { id: string; migrationIds: string[] }> {
  const host = fleet.hosts.get(hostId);
  if (!host) throw notFound('host', hostId);
  const evacuationId = randomUUID();
  const plan = planEvacuation(fleet, hostId);
  const requests: AppendRequest[] = [];
  const moves: EvacuationMove[] = [];
  const metadata = { ...ctx.metadata, evacuationId };
  const pool = (await loadPoolPolicy(store, host.host.pool)).value;
  // The scheduler orders the moves (longest first, with the convergence need of heavy dirtiers
  // respected) and gives each a bandwidth cap of one stream, so the link stays full (issue 5 bench).
  const { link } = options;
  const schedule =
    plan.moves.length === 0
      ? undefined
      : scheduleEvacuation(
          plan.moves.map((m) => moveToSchedule(fleet, m.guestId)),
          link,
        );
  const destinationOf = new Map(plan.moves.map((m) => [m.guestId, m.destinationHostId]));
  const ordered = schedule
    ? schedule.moves.map((p) => ({
        guestId: p.id,
        destinationHostId: destinationOf.get(p.id)!,
        maxBandwidth: p.maxBandwidth,
      }))
    : [];
  for (const move of ordered) {
    // An operator's own maxBandwidth wins over the scheduler's stream cap.
    const policy = { maxBandwidth: move.maxBandwidth, ...options.policy };
    const request = {
      guestId: move.guestId,
      destinationHostId: move.destinationHostId,
      policy,
      backend: pool?.backend,
    };
    const built = buildMigrationRequest(fleet, request, {
      evacuationId,
      poolPolicy: pool?.policy,
      linkBandwidth: link.bandwidth,
    });
    moves.push({ guestId: move.guestId, destinationHostId: move.destinationHostId, migrationId: built.id });
    requests.push({
      streamId: streamOf.migration(built.id),
      expectedVersion: 'no-stream',
      events: built.events.map((e) => ({ type: e.type, data: e.data, metadata })),
    });
  }
  const summary: ScheduleSummary | null = schedule
    ? {
        maxConcurrent: Math.min(schedule.maxConcurrent, link.maxConcurrent),
        estimatedMakespanS: Math.round(schedule.estimatedMakespanS),
        lowerBoundS: Math.round(schedule.lowerBoundS),
      }
    : null;
  const cordon = decideHost({ type: 'CordonHost', reason: options.reason ?? `evacuation ${evacuationId}` }, host);
  // If-Match names the host's version (its ETag): the evacuation cordons exactly the host the operator saw.
  const hostVersion = ctx.expectedVersion ?? fleet.versions?.hosts?.get(hostId) ?? 'any';
  requests.unshift(
    {
      streamId: streamOf.host(hostId),
      expectedVersion: hostVersion,
      events: cordon.map((e) => ({ type: e.type, data: e.data, metadata })),
    },
    {
      streamId: `evacuation-${evacuationId}`,
      expectedVersion: 'no-stream',
      events: [
        {
          type: 'EvacuationStarted',
          data: { evacuationId, hostId, moves, unplaceable: plan.unplaceable, schedule: summary },
          metadata,
        },
      ],
    },
  );
  const body = { id: evacuationId, hostId, moves, unplaceable: plan.unplaceable, schedule: summary };
  const idempotency: IdempotencyOptions | undefined = ctx.idempotency && {
    ...ctx.idempotency,
    respond: () => ({ status: 202, body }),
  };
  const outcome = await store.appendMany(
    requests.filter((r) => r.events.length > 0),
    idempotency,
  );
  if (outcome.kind === 'replayed') {
    const replayed = outcome.record.body as typeof body;
    return {
      status: outcome.record.status,
      body: replayed,
      replayed: true,
      id: replayed.id,
      migrationIds: replayed.moves.map((m) => m.migrationId),
    };
  }
  return { status: 202, body, replayed: false, id: evacuationId, migrationIds: moves.map((m) => m.migrationId) };
}
