// One migration cell of the fleet matrix, computed the way evaluateMigrationDestination does it but
// sharing work across guests. The profile rules' findings depend on the guest only through its
// profileKey, so each host column keeps them per key. The per-device findings join that cached part
// when the guest's RAM misses the reserved and MSI ranges of every group it could be given a device
// from — nothing they check then depends on the guest beyond what it requests, which the key holds.
// A guest whose RAM touches such a range gets its device rules run in full, like the measured rules
// every cell runs. The matrix/plan agreement tests hold this equivalence.
import { assignTargets } from '../evaluate/assign-targets.js';
import { destinationContext } from '../evaluate/evaluate-migration.js';
import { hostIommuApplies, runMeasuredRules, runProfileRules } from '../evaluate/rule-sets.js';
import type { HostOccupancy } from '../prepare/occupancy.js';
import type { PreparedGuest } from '../prepare/prepared-guest.js';
import type { PreparedHost } from '../prepare/prepared-host.js';
import { CodeCollector, type CodeSetTable } from './code-set.js';
import { mayTouchForbiddenMemo, type ColumnUnions, type RangeSetIds, type TouchMemo } from './touch-memo.js';

/** Cached profile findings of one host column, indexed by the matrix's profile id; dropped whenever the column is recomputed. */
export interface ProfileCache {
  /** Profile findings plus device findings, for guests whose RAM misses every candidate group's forbidden ranges. */
  withDevices: number[];
  /** Profile findings only, for guests whose device rules must run in full. */
  withoutDevices: number[];
}

export const emptyProfileCache = (): ProfileCache => ({ withDevices: [], withoutDevices: [] });

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

export function migrationCell(row: CellRow, column: CellColumn, ids: RangeSetIds, collector: CodeCollector, table: CodeSetTable): number {
  const { guest } = row;
  const { host, profiles } = column;
  const context = destinationContext(guest, host, column.occupancy);
  const devices = hostIommuApplies(context);
  // A guest holding devices on this host is excluded from its own group-split check: never shared.
  const fullDeviceCheck = devices && (guest.state.hostId === host.id || mayTouchForbiddenMemo(guest, column.unions, ids, row.touch));
  const shared = fullDeviceCheck ? profiles.withoutDevices : profiles.withDevices;
  let profile = shared[row.profileId];
  if (profile === undefined) {
    const own = new CodeCollector(table);
    runProfileRules(context, own);
    if (devices && !fullDeviceCheck) assignTargets(context, guest.migrationRequests, [], own);
    profile = own.take();
    shared[row.profileId] = profile;
  }
  collector.include(profile);
  runMeasuredRules(context, collector);
  if (fullDeviceCheck) assignTargets(context, guest.migrationRequests, [], collector);
  return collector.take();
}
