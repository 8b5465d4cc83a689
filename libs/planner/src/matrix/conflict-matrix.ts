// The fleet conflict matrix: guest × host migration verdicts (reservations included) and, per guest,
// a hot-plug verdict for each reservation on its current host.
//
// No cell is stored. A migration cell is the union of four interned code sets: the guest's own
// findings (destination-independent, per row), the static findings of its guest class on the host's
// column class (class-table.ts, evaluated once per pair), and the two per-cell findings — the host is
// cordoned, or its free memory cannot hold the guest. So a host change costs at most one evaluation
// per guest class, a guest change one per column class, and a 10,000 × 100,000 fleet holds a few
// thousand pairs instead of 10^9 cells. Full evidence for one cell comes from planMigration /
// planHotplug on the same facts; the randomized agreement tests hold the two to each other.
import { formatSize, notFound, type GuestState, type HostState, type MachineDefault } from '@ferry/domain';
import type { ConflictCode } from '../conflict/codes.js';
import { VERDICT_ORDER, type Severity, type Verdict } from '../conflict/conflict.js';
import { ConflictCollector } from '../conflict/sink.js';
import { evaluateHotplug } from '../evaluate/evaluate-hotplug.js';
import {
  evaluateMigrationDestination,
  evaluateMigrationGuest,
  type MigrationOptions,
} from '../evaluate/evaluate-migration.js';
import { HostOccupancy, isLive } from '../prepare/occupancy.js';
import { prepareGuest } from '../prepare/prepared-guest.js';
import { prepareHost } from '../prepare/prepared-host.js';
import { guestRef, hostRef, machineDefaultsRef, type FleetSnapshot } from '../plans/fleet-snapshot.js';
import { planHotplug, type HotplugPlan } from '../plans/plan-hotplug.js';
import { planMigration, type MigrationPlan } from '../plans/plan-migration.js';
import type { DestinationRanking, RankedDestination } from '../plans/rank-destinations.js';
import { fitsInFreeMemory, PER_CELL_FINDINGS } from '../rules/migration/compatibility.js';
import { cellOn, composeCell, type CellParts, type TallyEntry } from './cell-tally.js';
import { ClassTable, type ColumnClass, type GuestClass } from './class-table.js';
import type { GuestRow, HostColumn } from './matrix-rows.js';
import { CodeCollector, CodeSetTable } from './code-set.js';
import {
  runQuery,
  summarize,
  type MatrixPage,
  type QuerySource,
  type MatrixQuery,
  type MatrixSummary,
  type SummaryGrouping,
} from './matrix-query.js';

/** What was (re)computed; tests and metrics use it to prove updates stay local. */
export type Evaluation =
  | { kind: 'class-pair'; guestClass: number; columnClass: number; guestId: string; hostId: string }
  | { kind: 'hotplug'; guestId: string; hostId: string; reservationId: string }
  | { kind: 'guest'; guestId: string };

export interface ConflictMatrixOptions {
  onEvaluate?: (evaluation: Evaluation) => void;
}

export interface MatrixStats {
  /** Static evaluations of a guest class on a column class. */
  classPairs: number;
  hotplugCells: number;
  guestRows: number;
}

export interface MatrixClasses {
  guestClasses: number;
  /** Guest classes whose evaluated pairs are held in memory: the ones in use, not every one ever seen. */
  guestClassesKept: number;
  hostClasses: number;
  columnClasses: number;
}

export interface DestinationPage extends DestinationRanking {
  /** Schedulable destinations in the ranking (the page holds `destinations`). */
  total: number;
  offset: number;
  limit: number;
}

export class ConflictMatrix {
  readonly codeSets = new CodeSetTable();
  readonly stats: MatrixStats = { classPairs: 0, hotplugCells: 0, guestRows: 0 };
  private readonly collector = new CodeCollector(this.codeSets);
  private readonly classes: ClassTable;
  private readonly hosts = new Map<string, HostColumn>();
  private readonly rows = new Map<string, GuestRow>();
  private readonly hostStates = new Map<string, HostState>();
  private readonly guestStates = new Map<string, GuestState>();
  /** Live guests by host id: whose own-host findings a host change touches. */
  private readonly guestsOn = new Map<string, Set<string>>();
  private readonly occupancy = new Map<string, HostOccupancy>();
  private readonly versions = {
    hosts: new Map<string, number>(),
    guests: new Map<string, number>(),
    machineDefaults: undefined as number | undefined,
  };
  private machineDefaults: readonly MachineDefault[] = [];
  private readonly parts: CellParts;
  /** Query tallies (matrix-query.ts): any change to a host, a guest or their classes empties it. */
  private readonly tallies = new Map<string, Map<number, TallyEntry[]>>();
  /** Members per class id: a class nobody uses any more is not evaluated against newcomers. */
  private readonly guestClassUse: number[] = [];
  private readonly columnClassUse: number[] = [];
  /** Query order caches, dropped whenever a row or column object is replaced. */
  private sortedRows: GuestRow[] | undefined;
  private sortedColumns: HostColumn[] | undefined;
  private readonly onEvaluate: ConflictMatrixOptions['onEvaluate'];

  constructor(options: ConflictMatrixOptions = {}) {
    this.onEvaluate = options.onEvaluate;
    this.classes = new ClassTable(this.codeSets, (guestClass, column) => this.recordPair(guestClass, column));
    const intern = ({ code, severity }: { code: ConflictCode; severity: Severity }) => {
      this.collector.report(code, severity);
      return this.collector.take();
    };
    this.parts = {
      codeSets: this.codeSets,
      pairSet: (guestClass, columnClass) => this.classes.pairSet(guestClass, columnClass),
      pairRow: (guestClass) => this.classes.pairRow(guestClass),
      unschedulableSet: intern(PER_CELL_FINDINGS.hostNotSchedulable),
      insufficientMemorySet: intern(PER_CELL_FINDINGS.insufficientMemory),
    };
  }

  /** The whole matrix for a fleet: every column, every row, and every class pair evaluated. */
  static build(fleet: FleetSnapshot, options: ConflictMatrixOptions = {}): ConflictMatrix {
    const matrix = new ConflictMatrix(options);
    matrix.machineDefaults = fleet.machineDefaults;
    matrix.versions.machineDefaults = fleet.versions?.machineDefaults;
    for (const state of fleet.guests.values()) if (isLive(state)) matrix.place(state);
    for (const [id, state] of fleet.hosts) matrix.placeColumn(state, fleet.versions?.hosts?.get(id), false);
    for (const [id, state] of fleet.guests) {
      if (state.removed) continue;
      const version = fleet.versions?.guests?.get(id);
      if (version !== undefined) matrix.versions.guests.set(id, version);
      matrix.setRow(matrix.computeRow(state), false);
    }
    matrix.classifyAll();
    return matrix;
  }

  /** Evaluates every (guest class × column class) pair in use, so later reads only combine sets. */
  classifyAll(): void {
    this.guestClassUse.forEach((members, guestClass) => {
      if (members > 0) this.classifyRow(guestClass);
    });
  }

  private leaveGuestClass(id: number): void {
    if (--this.guestClassUse[id]! === 0) this.classes.releaseGuestClass(id);
  }

  /** One guest class against every column class in use. */
  private classifyRow(guestClass: number): void {
    this.columnClassUse.forEach((members, columnClass) => {
      if (members > 0) this.classes.pairSet(guestClass, columnClass);
    });
  }

  /** Every guest class in use against one column class. */
  private classifyColumn(columnClass: number): void {
    this.guestClassUse.forEach((members, guestClass) => {
      if (members > 0) this.classes.pairSet(guestClass, columnClass);
    });
  }

  // ---- host changes ------------------------------------------------------------------------------

  /** Re-classes the host; the guests on it re-check their source-side and hot-plug findings. */
  upsertHost(state: HostState, version?: number): void {
    this.placeColumn(state, version);
    this.refreshGuestsOn(state.host.id, undefined);
  }

  removeHost(id: string): void {
    const column = this.hosts.get(id);
    if (!column) return;
    this.tallies.clear();
    this.hosts.delete(id);
    this.columnClassUse[column.classId]!--;
    this.hostStates.delete(id);
    this.sortedColumns = undefined;
    this.versions.hosts.delete(id);
    this.refreshGuestsOn(id, undefined);
  }

  // ---- guest changes -----------------------------------------------------------------------------

  /**
   * Recomputes this guest's row. When its placement, maxmem or assigned devices change, the hosts it
   * left and joined have other free memory and group holders: they are re-classed and their guests'
   * hot-plug cells rechecked.
   */
  upsertGuest(state: GuestState, version?: number): void {
    if (state.removed) return this.removeGuest(state.id);
    const previous = this.rows.get(state.id);
    if (version !== undefined) this.versions.guests.set(state.id, version);
    const moved = !previous || footprint(previous.state) !== footprint(state);
    if (previous && moved) this.unplace(previous.state);
    if (moved && isLive(state)) this.place(state);
    this.setRow(this.computeRow(state));
    if (!moved) return;
    for (const hostId of new Set([previous?.state.hostId, state.hostId])) {
      if (hostId) this.refreshHost(hostId, state.id);
    }
  }

  removeGuest(id: string): void {
    const row = this.rows.get(id);
    if (!row) return;
    this.tallies.clear();
    this.rows.delete(id);
    this.leaveGuestClass(row.classId);
    this.guestStates.delete(id);
    this.sortedRows = undefined;
    this.versions.guests.delete(id);
    this.unplace(row.state);
    if (row.state.hostId) this.refreshHost(row.state.hostId, id);
  }

  /** Machine defaults only change virtio findings, which live in the rows' guest-wide sets and hot-plug cells. */
  setMachineDefaults(defaults: readonly MachineDefault[], version?: number): void {
    this.machineDefaults = defaults;
    this.versions.machineDefaults = version;
    for (const row of this.rows.values()) this.refreshOwnHost(row);
  }

  // ---- reading -----------------------------------------------------------------------------------

  query(query: MatrixQuery = {}): MatrixPage {
    return runQuery(query, this.querySource());
  }

  /** Counts per pool or per host class (and per rule code inside each): what a 10^9-cell matrix shows. */
  summary(grouping: SummaryGrouping, query: MatrixQuery = {}): MatrixSummary {
    return summarize(grouping, query, this.querySource());
  }

  /** The code set of one migration cell (undefined for the guest's own host or an unknown pair). */
  migrationSet(guestId: string, hostId: string): number | undefined {
    const row = this.rows.get(guestId);
    const column = this.hosts.get(hostId);
    if (!row || !column || row.state.hostId === hostId) return undefined;
    return this.cellSet(row, column);
  }

  /** Guest classes in use; host and column classes ever seen (a handful more than in use). */
  classCounts(): MatrixClasses {
    return {
      guestClasses: this.guestClassUse.filter((members) => members > 0).length,
      guestClassesKept: this.classes.keptGuestClasses(),
      hostClasses: this.classes.hostClasses.length,
      columnClasses: this.classes.columnClasses.length,
    };
  }

  /** Drill-down: the full migration plan (evidence, remedies) behind one cell. */
  explainMigration(guestId: string, hostId: string): MigrationPlan {
    return planMigration(this.snapshot(), guestId, hostId);
  }

  /** Drill-down: the full hot-plug plan behind one reservation's cell. */
  explainHotplug(guestId: string, reservationId: string): HotplugPlan {
    const row = this.rows.get(guestId);
    const reservation = row?.state.hotplugReservations.find((r) => r.id === reservationId);
    if (!row) throw notFound('guest', guestId, 'guest');
    if (!reservation) throw notFound('reservation', reservationId, 'reservation');
    return planHotplug(this.snapshot(), guestId, reservation);
  }

  /**
   * rankDestinations for one guest, ranked from the class sets and paged: only the page's hosts are
   * evaluated with full evidence (the same functions rankDestinations runs), so the answer is the
   * same slice of the same ranking at any fleet size.
   */
  rankDestinations(
    guestId: string,
    options: MigrationOptions & { offset?: number; limit?: number } = {},
  ): DestinationPage {
    const row = this.rows.get(guestId);
    if (!row) throw notFound('guest', guestId, 'guestId');
    const fleet = this.snapshot();
    const source = row.state.hostId ? this.hosts.get(row.state.hostId)?.host : undefined;
    const guestWide = new ConflictCollector();
    evaluateMigrationGuest(row.guest, source, this.machineDefaults, options, guestWide);
    evaluateMigrationGuest(row.guest, source, this.machineDefaults, options, this.collector);
    const guestSet = this.collector.take();

    // Hosts of one column class and cordon state differ only in free memory: two verdicts per kind.
    const verdicts = new Map<number, Verdict[]>();
    const verdictOn = (column: HostColumn): Verdict => {
      const kind = column.classId * 2 + (column.unschedulable ? 1 : 0);
      let pair = verdicts.get(kind);
      if (!pair) {
        const set = this.classes.pairSet(row.classId, column.classId);
        pair = [false, true].map(
          (fits) => this.codeSets.get(composeCell(this.parts, guestSet, set, column.unschedulable, fits)).verdict,
        );
        verdicts.set(kind, pair);
      }
      return pair[fitsInFreeMemory(column.free, row.maxMemory) ? 1 : 0]!;
    };
    const candidates: HostColumn[] = [];
    const excluded: DestinationRanking['excluded'] = [];
    for (const column of this.hosts.values()) {
      if (column.host.id === row.state.hostId) continue;
      if (column.unschedulable) {
        excluded.push({ host: hostRef(fleet, column.host.id), reason: column.host.unschedulableReason! });
        continue;
      }
      candidates.push(column);
    }
    // Sorted through typed arrays: 10,000 hosts compare by number, and by id only on a tie.
    const order = new Uint8Array(candidates.length);
    const free = new Float64Array(candidates.length);
    candidates.forEach((column, i) => {
      order[i] = VERDICT_ORDER[verdictOn(column)];
      free[i] = column.free;
    });
    const ranking = Int32Array.from(candidates.keys()).sort(
      (a, b) =>
        order[a]! - order[b]! || free[b]! - free[a]! || (candidates[a]!.host.id < candidates[b]!.host.id ? -1 : 1),
    );
    const ranked = Array.from(ranking, (i) => ({ column: candidates[i]! }));
    excluded.sort((a, b) => (a.host.id < b.host.id ? -1 : 1));
    const offset = Math.max(0, options.offset ?? 0);
    const limit = Math.max(0, options.limit ?? ranked.length);
    const destinations = ranked.slice(offset, offset + limit).map(({ column }, index): RankedDestination => {
      const collector = new ConflictCollector();
      evaluateMigrationDestination(row.guest, column.host, column.occupancy, collector);
      const conflicts = [...guestWide.conflicts, ...collector.conflicts];
      const free = column.host.memory - column.occupancy.usedMemory;
      return {
        rank: offset + index + 1,
        host: hostRef(fleet, column.host.id),
        pool: column.host.pool ?? null,
        verdict: verdictOn(column),
        freeMemory: formatSize(free > 0n ? free : 0n),
        conflicts,
      };
    });
    return {
      guest: guestRef(fleet, guestId),
      source: source ? hostRef(fleet, source.id) : null,
      machineDefaults: machineDefaultsRef(fleet),
      destinations,
      excluded,
      total: ranked.length,
      offset,
      limit,
    };
  }

  /** The facts the matrix holds, as a snapshot the plan functions accept (the maps are live: read, never keep). */
  snapshot(): FleetSnapshot {
    return {
      hosts: this.hostStates,
      guests: this.guestStates,
      machineDefaults: this.machineDefaults,
      versions: this.versions,
    };
  }

  // ---- internals ---------------------------------------------------------------------------------

  private querySource(): QuerySource {
    this.sortedRows ??= [...this.rows.values()].sort((a, b) => (a.state.id < b.state.id ? -1 : 1));
    this.sortedColumns ??= [...this.hosts.values()].sort((a, b) => (a.host.id < b.host.id ? -1 : 1));
    return {
      ...this.parts,
      tallies: this.tallies,
      rows: this.sortedRows,
      columns: this.sortedColumns,
      hostById: this.hosts,
      hostClassOf: (column: HostColumn) => this.classes.columnClasses[column.classId]!.hostClass,
    };
  }

  /** A migration cell: the guest's own findings, its class pair's, and the per-cell ones. */
  private cellSet(row: GuestRow, column: HostColumn): number {
    return cellOn(this.parts, row, column);
  }

  /** Places (or re-places) a host's column; with `classify`, evaluates its class against every guest class in use. */
  private placeColumn(state: HostState, version: number | undefined, classify = true): void {
    this.tallies.clear();
    const id = state.host.id;
    const host = prepareHost(state);
    const occupancy = this.occupancyFor(id);
    const previous = this.hosts.get(id);
    if (previous) this.columnClassUse[previous.classId]!--;
    const classId = this.classes.columnClassOf(host, occupancy);
    this.columnClassUse[classId] = (this.columnClassUse[classId] ?? 0) + 1;
    const column: HostColumn = {
      state,
      host,
      occupancy,
      classId,
      free: Number(host.memory - occupancy.usedMemory),
      unschedulable: host.unschedulableReason !== undefined,
    };
    this.hosts.set(id, column);
    if (classify && previous?.classId !== classId) this.classifyColumn(classId);
    this.hostStates.set(id, state);
    if (!previous || !replaceSorted(this.sortedColumns, previous, column, (c) => c.host.id))
      this.sortedColumns = undefined;
    if (version !== undefined) this.versions.hosts.set(id, version);
  }

  /** After a guest arrived or left: the host's class and free memory, and its guests' own-host findings. */
  private refreshHost(hostId: string, skipGuestId: string): void {
    const column = this.hosts.get(hostId);
    if (column) this.placeColumn(column.state, undefined);
    this.refreshGuestsOn(hostId, skipGuestId);
  }

  private refreshGuestsOn(hostId: string, skipGuestId: string | undefined): void {
    for (const guestId of this.guestsOn.get(hostId) ?? []) {
      if (guestId === skipGuestId) continue;
      const row = this.rows.get(guestId);
      if (row) this.refreshOwnHost(row);
    }
  }

  /** Stores a row; with `classify`, a guest class new to the fleet is evaluated against every column class in use. */
  private setRow(row: GuestRow, classify = true): void {
    this.tallies.clear();
    const previous = this.rows.get(row.state.id);
    // Join before leaving: a guest that stays in its class must not release it on the way.
    const members = (this.guestClassUse[row.classId] = (this.guestClassUse[row.classId] ?? 0) + 1);
    if (previous) this.leaveGuestClass(previous.classId);
    if (classify && members === 1) this.classifyRow(row.classId);
    this.rows.set(row.state.id, row);
    this.guestStates.set(row.state.id, row.state);
    // A replaced row keeps its place in the query order; only a new id re-sorts 100,000 rows.
    if (!previous || !replaceSorted(this.sortedRows, previous, row, (r) => r.state.id)) this.sortedRows = undefined;
  }

  private computeRow(state: GuestState): GuestRow {
    const guest = prepareGuest(state);
    const row: GuestRow = {
      state,
      guest,
      classId: this.classes.guestClassOf(guest),
      maxMemory: Number(guest.maxMemory),
      guestSet: 0,
      hotplug: [],
    };
    this.refreshOwnHost(row);
    return row;
  }

  /** The parts of a row that depend on the guest's own host: source findings and hot-plug cells. */
  private refreshOwnHost(row: GuestRow): void {
    row.guestSet = this.guestSetOf(row);
    row.hotplug = this.hotplugCells(row);
  }

  private guestSetOf(row: GuestRow): number {
    this.stats.guestRows++;
    this.onEvaluate?.({ kind: 'guest', guestId: row.state.id });
    const source = row.state.hostId ? this.hosts.get(row.state.hostId)?.host : undefined;
    evaluateMigrationGuest(row.guest, source, this.machineDefaults, {}, this.collector);
    return this.collector.take();
  }

  private hotplugCells(row: GuestRow): GuestRow['hotplug'] {
    const hostId = row.state.hostId;
    const column = hostId ? this.hosts.get(hostId) : undefined;
    if (!column || !isLive(row.state)) return [];
    return row.state.hotplugReservations.map((reservation) => {
      this.stats.hotplugCells++;
      this.onEvaluate?.({
        kind: 'hotplug',
        guestId: row.state.id,
        hostId: column.host.id,
        reservationId: reservation.id,
      });
      evaluateHotplug(row.guest, column.host, column.occupancy, this.machineDefaults, reservation, this.collector);
      return { reservationId: reservation.id, set: this.collector.take() };
    });
  }

  private recordPair(guestClass: GuestClass, column: ColumnClass): void {
    this.stats.classPairs++;
    this.onEvaluate?.({
      kind: 'class-pair',
      guestClass: guestClass.id,
      columnClass: column.id,
      guestId: guestClass.guest.id,
      hostId: column.host.id,
    });
  }

  private place(state: GuestState): void {
    const hostId = state.hostId!;
    this.occupancyFor(hostId).add(state);
    let ids = this.guestsOn.get(hostId);
    if (!ids) this.guestsOn.set(hostId, (ids = new Set()));
    ids.add(state.id);
  }

  private unplace(state: GuestState): void {
    if (!isLive(state)) return;
    this.occupancyFor(state.hostId!).remove(state);
    this.guestsOn.get(state.hostId!)?.delete(state.id);
  }

  private occupancyFor(hostId: string): HostOccupancy {
    let occupancy = this.occupancy.get(hostId);
    if (!occupancy) this.occupancy.set(hostId, (occupancy = new HostOccupancy()));
    return occupancy;
  }
}

/** Puts `next` where `previous` sits in an id-sorted list (binary search); false when it is not there. */
function replaceSorted<T>(sorted: T[] | undefined, previous: T, next: T, idOf: (item: T) => string): boolean {
  if (!sorted) return false;
  const id = idOf(previous);
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (idOf(sorted[mid]!) < id) low = mid + 1;
    else high = mid;
  }
  if (sorted[low] !== previous) return false;
  sorted[low] = next;
  return true;
}

/** What a guest takes from its host: if this is unchanged, no other guest's verdicts can change. */
function footprint(state: GuestState): string {
  const guest = prepareGuest(state);
  return `${isLive(state) ? state.hostId : ''}|${guest.maxMemory}|${guest.assignedDevices.map((d) => d.hostDevice).join(',')}`;
}
