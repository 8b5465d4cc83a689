import { DomainError, streamOf } from '@ferry/domain';
import type { Conflict, PlanAnswer } from '@ferry/planner';
import type { PlanSnapshot } from './migration/migration-events.js';

interface PlanRefs {
  guest?: { id: string; version: number | null };
  host?: { id: string; version: number | null };
  source?: { id: string; version: number | null } | null;
  machineDefaults?: { version: number | null };
}

/** What a request records of its plan: the verdict, the conflicts, and the stream versions it read. */
export function snapshotOf(plan: PlanAnswer<PlanRefs>): PlanSnapshot {
  const inputs: Record<string, number> = {};
  const { guest, host, source, machineDefaults } = plan.inputs;
  if (guest) inputs[streamOf.guest(guest.id)] = guest.version ?? 0;
  if (host) inputs[streamOf.host(host.id)] = host.version ?? 0;
  if (source) inputs[streamOf.host(source.id)] = source.version ?? 0;
  if (machineDefaults) inputs[streamOf.machineDefaults()] = machineDefaults.version ?? 0;
  return {
    verdict: plan.verdict,
    conflicts: plan.conflicts.map(({ code, severity, message }) => ({ code, severity, message })),
    inputs,
  };
}

/** A request the planner blocks: 409 with every conflict, so the operator sees all of them at once. */
export class PlanBlockedError extends DomainError {
  constructor(
    what: string,
    readonly conflicts: Conflict[],
  ) {
    const blocking = conflicts.filter((c) => c.severity !== 'warning').map((c) => c.code);
    super(
      'conflict',
      `${what.toUpperCase()}_BLOCKED`,
      `the ${what} is blocked by ${blocking.length} conflict(s): ${[...new Set(blocking)].join(', ')}`,
    );
  }
}
