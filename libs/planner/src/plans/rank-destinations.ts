// Every other host as a migration destination, best first: ok, then warnings, then blocked; ties go
// to the host with more free memory, then to the smaller id. Cordoned and decommissioned hosts are
// listed apart with the reason.
import { formatSize } from '@ferry/domain';
import { VERDICT_ORDER, verdictOf, type Conflict, type Verdict } from '../conflict/conflict.js';
import { ConflictCollector } from '../conflict/sink.js';
import {
  evaluateMigrationDestination,
  evaluateMigrationGuest,
  type MigrationOptions,
} from '../evaluate/evaluate-migration.js';
import { HostOccupancy, occupancyByHost } from '../prepare/occupancy.js';
import { prepareGuest } from '../prepare/prepared-guest.js';
import { prepareHost } from '../prepare/prepared-host.js';
import {
  guestRef,
  hostRef,
  machineDefaultsRef,
  requireGuest,
  type FleetSnapshot,
  type StreamRef,
} from './fleet-snapshot.js';

export interface RankedDestination {
  rank: number;
  host: StreamRef;
  pool: string | null;
  verdict: Verdict;
  /** Host memory minus the maxmem of the guests already there. */
  freeMemory: string;
  conflicts: Conflict[];
}

export interface ExcludedDestination {
  host: StreamRef;
  reason: string;
}

export interface DestinationRanking {
  guest: StreamRef;
  source: StreamRef | null;
  machineDefaults: { version: number | null };
  destinations: RankedDestination[];
  excluded: ExcludedDestination[];
}

export function rankDestinations(
  fleet: FleetSnapshot,
  guestId: string,
  options: MigrationOptions = {},
): DestinationRanking {
  const guestState = requireGuest(fleet, guestId);
  const guest = prepareGuest(guestState);
  const sourceState = guestState.hostId === null ? undefined : fleet.hosts.get(guestState.hostId);
  // Destination-independent conflicts are computed once and belong to every destination's answer.
  const guestWide = new ConflictCollector();
  evaluateMigrationGuest(guest, sourceState && prepareHost(sourceState), fleet.machineDefaults, options, guestWide);
  const occupancies = occupancyByHost(fleet.guests.values());

  const ranked: (RankedDestination & { free: bigint })[] = [];
  const excluded: ExcludedDestination[] = [];
  for (const state of fleet.hosts.values()) {
    if (state.host.id === guestState.hostId) continue;
    const host = prepareHost(state);
    if (host.unschedulableReason) {
      excluded.push({ host: hostRef(fleet, host.id), reason: host.unschedulableReason });
      continue;
    }
    const occupancy = occupancies.get(host.id) ?? new HostOccupancy();
    const collector = new ConflictCollector();
    evaluateMigrationDestination(guest, host, occupancy, collector);
    const conflicts = [...guestWide.conflicts, ...collector.conflicts];
    const free = host.memory - occupancy.usedMemory;
    ranked.push({
      rank: 0,
      host: hostRef(fleet, host.id),
      pool: host.pool ?? null,
      verdict: verdictOf(conflicts),
      freeMemory: formatSize(free > 0n ? free : 0n),
      conflicts,
      free,
    });
  }
  ranked.sort(
    (a, b) =>
      VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict] ||
      (a.free > b.free ? -1 : a.free < b.free ? 1 : 0) ||
      (a.host.id < b.host.id ? -1 : 1),
  );
  excluded.sort((a, b) => (a.host.id < b.host.id ? -1 : 1));
  return {
    guest: guestRef(fleet, guestId),
    source: sourceState ? hostRef(fleet, sourceState.host.id) : null,
    machineDefaults: machineDefaultsRef(fleet),
    destinations: ranked.map(({ free: _free, ...destination }, index) => ({ ...destination, rank: index + 1 })),
    excluded,
  };
}
