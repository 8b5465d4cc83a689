// One migration cell of the fleet matrix, computed the way evaluateMigrationDestination does it but
// sharing work across guests. Profile rules depend on the guest only through its profileKey. Device
// rules depend on it through what it requests (also in the key) and, for identity-mapped RAM, through
// which groups' reserved and MSI ranges its RAM touches (the overlap mask). So each host column keeps
// the profile-plus-device findings per (profile id, overlap mask), and each cell adds only the
// measured rules (sizes, addresses). The matrix/plan agreement tests hold this equivalence.
import { assignTargets } from '../../libs/planner/src/evaluate/assign-targets.js';
import { destinationContext } from '../../libs/planner/src/evaluate/evaluate-migration.js';
import { hostIommuApplies, runMeasuredRules, runProfileRules } from '../../libs/planner/src/evaluate/rule-sets.js';
import type { HostOccupancy } from '../../libs/planner/src/prepare/occupancy.js';
import type { PreparedGuest } from '../../libs/planner/src/prepare/prepared-guest.js';
import type { PreparedHost } from '../../libs/planner/src/prepare/prepared-host.js';
import { CodeCollector, type CodeSetTable } from '../../libs/planner/src/matrix/code-set.js';
import { mayTouchForbidden, overlapMask, type ColumnUnions, type RangeSetIds, type TouchMemo } from './touch-memo.js';

/** Per host column: the shared findings by profile id (and overlap mask). Dropped whenever the column is recomputed. */
export interface ProfileCache {
  /** Guests whose RAM touches nothing a device request could meet (mask 0), the common case. */
  clean: number[];
  touching: (Map<number, number> | undefined)[];
}

export const emptyProfileCache = (): ProfileCache => ({ clean: [], touching: [] });

export interface CellRow {
  guest: PreparedGuest;
  /** Numbers guest.profileKey (equal keys, equal ids). */
  profileId: number;
  touch: TouchMemo;
}

export interface CellColumn {
  host: PreparedHost;
  occupancy: HostOccupancy;
  profiles: ProfileCache;
  unions: ColumnUnions;
}

export function migrationCell(
  row: CellRow,
  column: CellColumn,
  ids: RangeSetIds,
  collector: CodeCollector,
  table: CodeSetTable,
): number {
  const { guest, touch } = row;
  const { host, unions } = column;
  const context = destinationContext(guest, host, column.occupancy);
  const devices = hostIommuApplies(context);
  // A guest holding devices on this host is excluded from its own group-split check: never shared.
  const mask = !devices
    ? 0
    : guest.state.hostId === host.id
      ? undefined
      : mayTouchForbidden(guest, unions, ids, touch)
        ? overlapMask(guest, unions, ids, touch)
        : 0;
  if (mask === undefined) {
    runProfileRules(context, collector);
    assignTargets(context, guest.migrationRequests, [], collector);
  } else {
    const { clean, touching } = column.profiles;
    const byMask = mask === 0 ? undefined : (touching[row.profileId] ??= new Map<number, number>());
    let shared = byMask ? byMask.get(mask) : clean[row.profileId];
    if (shared === undefined) {
      const own = new CodeCollector(table);
      runProfileRules(context, own);
      if (devices) assignTargets(context, guest.migrationRequests, [], own);
      shared = own.take();
      if (byMask) byMask.set(mask, shared);
      else clean[row.profileId] = shared;
    }
    collector.include(shared);
  }
  runMeasuredRules(context, collector);
  return collector.take();
}
