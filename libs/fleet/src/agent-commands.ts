import {
  DomainError,
  decideGuest,
  decideHost,
  streamOf,
  type GuestState,
  type HostCommand,
  type HostState,
} from '@ferry/domain';
import type { AppendRequest } from '@ferry/event-store';
import { planAgentSync, type AgentReport } from './agent-sync.js';
import type { FleetCommands } from './fleet-commands.js';
import type { WriteContext } from './write-context.js';

export interface AgentSyncOutcome {
  eventsWritten: number;
  changed: { kind: 'host' | 'guest'; id: string; events: string[] }[];
  /** Guests seen on this host while a Ferry migration of theirs is unfinished: that migration records the move. */
  placementDeferred: string[];
}

/**
 * Applies a host agent's report: the host's facts and the domains running on it, in one atomic
 * append with each stream's expected version (a concurrent write makes it fail, and the agent's next
 * sync decides again from the new state). Nothing changed, nothing written.
 */
export async function applyAgentReport(
  commands: FleetCommands,
  hostId: string,
  report: AgentReport,
  guests: ReadonlyMap<string, GuestState>,
  migrating: ReadonlySet<string>,
  ctx: WriteContext,
): Promise<AgentSyncOutcome> {
  const host = await commands.repository.loadHost(hostId);
  const plan = planAgentSync({ hostId, host: host.state, guests, migrating, report });
  const requests: AppendRequest[] = [
    commands.request(streamOf.host(hostId), hostEvents(plan.host, host.state), ctx, host.version),
  ];
  for (const { guestId, command, isNew } of plan.guests) {
    const loaded = await commands.repository.loadGuest(guestId);
    const state = loaded.state && !loaded.state.removed ? loaded.state : undefined;
    // A guest defined a moment ago under the id chosen for a new domain: never merge into it, decide again.
    if (isNew && state)
      throw new DomainError('conflict', 'GUEST_ID_TAKEN', `guest "${guestId}" was just defined; retry`);
    requests.push(commands.request(streamOf.guest(guestId), decideGuest(command, state), ctx, loaded.version));
  }
  const written = requests.filter((r) => r.events.length > 0);
  const outcome: AgentSyncOutcome = {
    eventsWritten: written.reduce((n, r) => n + r.events.length, 0),
    changed: written.map((r) => ({
      kind: r.streamId.startsWith('host-') ? 'host' : 'guest',
      id: r.streamId.replace(/^(host|guest)-/, ''),
      events: r.events.map((e) => e.type),
    })),
    placementDeferred: plan.guests.filter((g) => g.placementDeferred).map((g) => g.guestId),
  };
  await commands.write(written, { ...ctx, idempotency: undefined }, () => ({ status: 200, body: outcome }));
  return outcome;
}

function hostEvents(command: HostCommand, state: HostState | undefined) {
  return decideHost(command, state && !state.decommissioned ? state : undefined);
}
