import { DomainError, type GuestLibvirt, type GuestState } from '@ferry/domain';
import { isBlocking, planMigration, type Conflict, type FleetSnapshot } from '@ferry/planner';

export type GateDecision = 'allowed' | 'refused';

export interface GateAnswer {
  decision: GateDecision;
  hostId: string;
  guestId: string | null;
  domain: GuestLibvirt;
  /** Who started the migration, when Ferry knows: its own migration id, else null (virsh, Nova, …). */
  startedBy: { migrationId: string } | null;
  reason: string;
  conflicts: Conflict[];
  /** Every line the hook prints on stderr, which libvirt hands verbatim to whoever started the migration. */
  message: string;
}

export interface UnfinishedMigration {
  id: string;
  guestId: string;
  destinationHostId: string;
}

/**
 * The destination's answer to "may this domain migrate here?": the same plan `ferry plan migrate`
 * makes. Only blocking conflicts refuse; a domain Ferry does not know passes (Ferry cannot judge it)
 * and says so.
 */
export function decideGate(
  fleet: FleetSnapshot,
  hostId: string,
  domain: GuestLibvirt,
  unfinished: readonly UnfinishedMigration[],
): GateAnswer {
  const guest = findByUuid(fleet.guests, domain.uuid);
  const label = `domain ${domain.name ?? '?'} (${domain.uuid})`;
  const base = { hostId, domain, guestId: guest?.id ?? null, conflicts: [] as Conflict[] };
  const started = guest && unfinished.find((m) => m.guestId === guest.id && m.destinationHostId === hostId);
  const startedBy = started ? { migrationId: started.id } : null;
  if (!guest) {
    const reason = `Ferry has no guest mapped to ${label}; not checked`;
    return { ...base, decision: 'allowed', startedBy, reason, message: `ferry: ${reason}` };
  }
  if (guest.hostId === hostId) {
    const reason = `Ferry already records guest ${guest.id} on ${hostId}; nothing to check`;
    return { ...base, decision: 'allowed', startedBy, reason, message: `ferry: ${reason}` };
  }
  let conflicts: Conflict[];
  try {
    conflicts = planMigration(fleet, guest.id, hostId).conflicts;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const reason = `Ferry cannot plan guest ${guest.id} to ${hostId}: ${error.message}`;
    return { ...base, decision: 'refused', startedBy, reason, message: `ferry: ${reason}` };
  }
  const blocking = conflicts.filter((c) => isBlocking(c.severity));
  const by = startedBy ? `Ferry migration ${startedBy.migrationId}` : 'a migration started outside Ferry';
  if (blocking.length === 0) {
    const reason = `Ferry allows guest ${guest.id} on ${hostId} (${by}; ${conflicts.length} warning(s))`;
    return { ...base, conflicts, decision: 'allowed', startedBy, reason, message: `ferry: ${reason}` };
  }
  const reason = `Ferry refuses to migrate guest ${guest.id} (${label}) to ${hostId}: ${blocking.length} blocking conflict(s)`;
  const lines = [`ferry: ${reason} [${by}]`];
  for (const c of blocking) {
    lines.push(`  ${c.code} (${c.severity}): ${c.message}`);
    lines.push(`    evidence: ${JSON.stringify(c.evidence)}`);
    lines.push(`    remedy: ${c.remedy}`);
  }
  return { ...base, conflicts, decision: 'refused', startedBy, reason, message: lines.join('\n') };
}

function findByUuid(guests: ReadonlyMap<string, GuestState>, uuid: string): GuestState | undefined {
  for (const guest of guests.values()) if (guest.libvirtDomain?.uuid === uuid) return guest;
  return undefined;
}
