// FROZEN COPY of the fleet conflict matrix as it was before equivalence classes (commit 0da695b),
// kept only so bench/planner.bench.ts can measure today's implementation next to the new one in the
// same run. Not used by Ferry itself.
// The fleet conflict matrix: guest × host migration verdicts (reservations included) and, per guest,
// a hot-plug verdict for each reservation on its current host. It updates incrementally: a host
// change recomputes that host's column, a guest change that guest's row. Cells keep interned code
// sets; full evidence for one cell comes from planMigration/planHotplug on the same facts.
import type { GuestState, HostState, MachineDefault } from '@ferry/domain';
import { evaluateHotplug } from '../../libs/planner/src/evaluate/evaluate-hotplug.js';
import { evaluateMigrationGuest } from '../../libs/planner/src/evaluate/evaluate-migration.js';
import { HostOccupancy, isLive } from '../../libs/planner/src/prepare/occupancy.js';
import { prepareGuest, type PreparedGuest } from '../../libs/planner/src/prepare/prepared-guest.js';
import { prepareHost, type PreparedHost } from '../../libs/planner/src/prepare/prepared-host.js';
import type { FleetSnapshot } from '../../libs/planner/src/plans/fleet-snapshot.js';
import { planHotplug, type HotplugPlan } from '../../libs/planner/src/plans/plan-hotplug.js';
import { planMigration, type MigrationPlan } from '../../libs/planner/src/plans/plan-migration.js';
import { emptyProfileCache, migrationCell, type ProfileCache } from './migration-cell.js';
import { columnUnions, RangeSetIds, touchMemo, type ColumnUnions, type TouchMemo } from './touch-memo.js';
import { CodeCollector, CodeSetTable } from '../../libs/planner/src/matrix/code-set.js';
import { runQuery, type MatrixPage, type MatrixQuery } from './matrix-query.js';

/** What was (re)computed; tests and metrics use it to prove updates stay local. */
export type Evaluation =
  | { kind: 'migration'; guestId: string; hostId: string }
  | { kind: 'hotplug'; guestId: string; hostId: string; reservationId: string }
  | { kind: 'guest'; guestId: string };

export interface ConflictMatrixOptions {
  onEvaluate?: (evaluation: Evaluation) => void;
}

export interface HostColumn {
  state: HostState;
  host: PreparedHost;
  slot: number;
  occupancy: HostOccupancy;
  /** Findings shared by guests with the same profile (see migration-cell.ts). */
  profiles: ProfileCache;
  unions: ColumnUnions;
}

export interface GuestRow {
  state: GuestState;
  guest: PreparedGuest;
  /** Numbers guest.profileKey: rows with equal keys share cached profile findings per column. */
  profileId: number;
  /** Whether the guest's RAM meets each interned forbidden set (touch-memo.ts). */
  touch: TouchMemo;
  /** Findings that do not depend on the destination: merged into each migration cell when read. */
  guestSet: number;
  /** Per host slot: code-set id + 1, or 0 where there is no cell (the guest's own host, a free slot). */
  cells: Uint32Array;
  /** One per reservation, on the host the guest runs on now. */
  hotplug: { reservationId: string; set: number }[];
}

export interface MatrixStats {
  migrationCells: number;
  hotplugCells: number;
  guestRows: number;
}

export class ConflictMatrix {
  readonly codeSets = new CodeSetTable();
  readonly stats: MatrixStats = { migrationCells: 0, hotplugCells: 0, guestRows: 0 };
  private readonly collector = new CodeCollector(this.codeSets);
  private readonly hosts = new Map<string, HostColumn>();
  private readonly slots: (HostColumn | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private readonly rows = new Map<string, GuestRow>();
  private readonly profileIds = new Map<string, number>();
  private readonly rangeSetIds = new RangeSetIds();
  private readonly occupancy = new Map<string, HostOccupancy>();
  private readonly versions = {
    hosts: new Map<string, number>(),
    guests: new Map<string, number>(),
    machineDefaults: undefined as number | undefined,
  };
  private machineDefaults: readonly MachineDefault[] = [];
  private capacity = 16;
  /** Query order caches, dropped whenever a row or column object is replaced. */
  private sortedRows: GuestRow[] | undefined;
  private sortedColumns: HostColumn[] | undefined;
  private readonly onEvaluate: ConflictMatrixOptions['onEvaluate'];

  constructor(options: ConflictMatrixOptions = {}) {
    this.onEvaluate = options.onEvaluate;
  }

  /** The whole matrix for a fleet: every host column first, then every guest row once. */
  static build(fleet: FleetSnapshot, options: ConflictMatrixOptions = {}): ConflictMatrix {
    const matrix = new ConflictMatrix(options);
    matrix.machineDefaults = fleet.machineDefaults;
    matrix.versions.machineDefaults = fleet.versions?.machineDefaults;
    matrix.capacity = Math.max(16, fleet.hosts.size);
    for (const [id, state] of fleet.hosts) matrix.addColumn(state, fleet.versions?.hosts?.get(id));
    for (const state of fleet.guests.values()) if (!state.removed) matrix.occupancyFor(state.hostId)?.add(state);
    for (const [id, state] of fleet.guests) {
      if (state.removed) continue;
      const version = fleet.versions?.guests?.get(id);
      if (version !== undefined) matrix.versions.guests.set(id, version);
      matrix.setRow(matrix.computeRow(state));
    }
    return matrix;
  }

  // ---- host changes: one column ------------------------------------------------------------

  /** Recomputes this host's column, and the hot-plug cells and source findings of the guests on it. */
  upsertHost(state: HostState, version?: number): void {
    const existing = this.hosts.get(state.host.id);
    const column = existing ? this.placeColumn(state, existing.slot, version) : this.addColumn(state, version);
    this.recomputeColumn(column, undefined);
  }

  removeHost(id: string): void {
    const column = this.hosts.get(id);
    if (!column) return;
    this.hosts.delete(id);
    this.sortedColumns = undefined;
    this.versions.hosts.delete(id);
    this.slots[column.slot] = undefined;
    this.freeSlots.push(column.slot);
    for (const row of this.rows.values()) {
      row.cells[column.slot] = 0;
      if (row.state.hostId === id) this.refreshOwnHost(row);
    }
  }

  // ---- guest changes: one row ----------------------------------------------------------------

  /**
   * Recomputes this guest's row. When its placement, maxmem or assigned devices change, the hosts it
   * left and joined have different free memory and group owners, so their columns are rechecked too.
   */
  upsertGuest(state: GuestState, version?: number): void {
    if (state.removed) return this.removeGuest(state.id);
    const previous = this.rows.get(state.id);
    if (version !== undefined) this.versions.guests.set(state.id, version);
    const moved = !previous || footprint(previous.state) !== footprint(state);
    if (previous && moved) this.occupancyFor(previous.state.hostId)?.remove(previous.state);
    if (moved) this.occupancyFor(state.hostId)?.add(state);
    this.setRow(this.computeRow(state));
    if (!moved) return;
    for (const hostId of new Set([previous?.state.hostId, state.hostId])) {
      const column = hostId ? this.hosts.get(hostId) : undefined;
      if (column) this.recomputeColumn(column, state.id);
    }
  }

  removeGuest(id: string): void {
    const row = this.rows.get(id);
    if (!row) return;
    this.rows.delete(id);
    this.sortedRows = undefined;
    this.versions.guests.delete(id);
    this.occupancyFor(row.state.hostId)?.remove(row.state);
    const column = row.state.hostId ? this.hosts.get(row.state.hostId) : undefined;
    if (column) this.recomputeColumn(column, id);
  }

  /** Machine defaults only change virtio findings, which live in the rows' guest-wide sets and hot-plug cells. */
  setMachineDefaults(defaults: readonly MachineDefault[], version?: number): void {
    this.machineDefaults = defaults;
    this.versions.machineDefaults = version;
    for (const row of this.rows.values()) {
      row.guestSet = this.guestSetOf(row);
      this.refreshOwnHost(row);
    }
  }

  // ---- reading -------------------------------------------------------------------------------

  query(query: MatrixQuery = {}): MatrixPage {
    this.sortedRows ??= [...this.rows.values()].sort((a, b) => (a.state.id < b.state.id ? -1 : 1));
    this.sortedColumns ??= [...this.hosts.values()].sort((a, b) => (a.host.id < b.host.id ? -1 : 1));
    return runQuery(query, {
      codeSets: this.codeSets,
      rows: this.sortedRows,
      columns: this.sortedColumns,
      hostById: this.hosts,
    });
  }

  /** Drill-down: the full migration plan (evidence, remedies) behind one cell. */
  explainMigration(guestId: string, hostId: string): MigrationPlan {
    return planMigration(this.snapshot(), guestId, hostId);
  }

  /** Drill-down: the full hot-plug plan behind one reservation's cell. */
  explainHotplug(guestId: string, reservationId: string): HotplugPlan {
    const row = this.rows.get(guestId);
    const reservation = row?.state.hotplugReservations.find((r) => r.id === reservationId);
    if (!reservation) throw new Error(`guest ${guestId} has no reservation ${reservationId}`);
    return planHotplug(this.snapshot(), guestId, reservation);
  }

  /** The facts the matrix holds, as a snapshot the plan functions accept. */
  snapshot(): FleetSnapshot {
    return {
      hosts: new Map([...this.hosts].map(([id, column]) => [id, column.state])),
      guests: new Map([...this.rows].map(([id, row]) => [id, row.state])),
      machineDefaults: this.machineDefaults,
      versions: {
        hosts: this.versions.hosts,
        guests: this.versions.guests,
        machineDefaults: this.versions.machineDefaults,
      },
    };
  }

  // ---- internals -----------------------------------------------------------------------------

  private addColumn(state: HostState, version: number | undefined): HostColumn {
    const slot = this.freeSlots.pop() ?? this.slots.length;
    if (slot >= this.capacity) this.grow(Math.max(slot + 1, this.capacity * 2));
    return this.placeColumn(state, slot, version);
  }

  private placeColumn(state: HostState, slot: number, version: number | undefined): HostColumn {
    const host = prepareHost(state);
    const column: HostColumn = {
      state,
      host,
      slot,
      occupancy: this.occupancyFor(state.host.id)!,
      profiles: emptyProfileCache(),
      unions: columnUnions(host, this.rangeSetIds),
    };
    this.hosts.set(column.host.id, column);
    this.sortedColumns = undefined;
    this.slots[slot] = column;
    if (version !== undefined) this.versions.hosts.set(column.host.id, version);
    return column;
  }

  private setRow(row: GuestRow): void {
    this.rows.set(row.state.id, row);
    this.sortedRows = undefined;
  }

  private grow(capacity: number): void {
    this.capacity = capacity;
    for (const row of this.rows.values()) {
      const cells = new Uint32Array(capacity);
      cells.set(row.cells);
      row.cells = cells;
    }
  }

  /** Every guest's cell for this host; for the guests on it, their own-host findings. */
  private recomputeColumn(column: HostColumn, skipGuestId: string | undefined): void {
    const hostId = column.host.id;
    column.profiles = emptyProfileCache();
    for (const row of this.rows.values()) {
      if (row.state.id === skipGuestId) continue;
      if (row.state.hostId === hostId) {
        row.cells[column.slot] = 0;
        this.refreshOwnHost(row);
      } else {
        row.cells[column.slot] = this.migrationCell(row, column) + 1;
      }
    }
  }

  private computeRow(state: GuestState): GuestRow {
    const guest = prepareGuest(state);
    const row: GuestRow = {
      state,
      guest,
      profileId: this.profileIdOf(profileKeyOf(guest)),
      touch: touchMemo(guest, this.rangeSetIds.sets.length),
      guestSet: 0,
      cells: new Uint32Array(this.capacity),
      hotplug: [],
    };
    row.guestSet = this.guestSetOf(row);
    for (const column of this.slots) {
      if (!column || column.host.id === state.hostId) continue;
      row.cells[column.slot] = this.migrationCell(row, column) + 1;
    }
    row.hotplug = this.hotplugCells(row);
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

  private migrationCell(row: GuestRow, column: HostColumn): number {
    this.stats.migrationCells++;
    this.onEvaluate?.({ kind: 'migration', guestId: row.state.id, hostId: column.host.id });
    return migrationCell(row, column, this.rangeSetIds, this.collector, this.codeSets);
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
      evaluateHotplug(
        row.guest,
        column.host,
        this.occupancyFor(column.host.id)!,
        this.machineDefaults,
        reservation,
        this.collector,
      );
      return { reservationId: reservation.id, set: this.collector.take() };
    });
  }

  private profileIdOf(key: string): number {
    let id = this.profileIds.get(key);
    if (id === undefined) this.profileIds.set(key, (id = this.profileIds.size));
    return id;
  }

  private occupancyFor(hostId: string | null): HostOccupancy | undefined {
    if (hostId === null) return undefined;
    let occupancy = this.occupancy.get(hostId);
    if (!occupancy) this.occupancy.set(hostId, (occupancy = new HostOccupancy()));
    return occupancy;
  }
}

/** What a guest takes from its host: if this is unchanged, no other guest's verdicts can change. */
function footprint(state: GuestState): string {
  const guest = prepareGuest(state);
  return `${state.hostId}|${guest.maxMemory}|${guest.assignedDevices.map((d) => d.hostDevice).join(',')}`;
}

/** The profile key PreparedGuest carried before classes (see the frozen copy's header). */
function profileKeyOf(guest: PreparedGuest): string {
  const { definition } = guest.state;
  const htHole =
    guest.mapEntriesInHtHole.length === 0
      ? 'clear'
      : guest.mapEntriesInHtHole.some((e) => e.kind === 'ram' || e.kind === 'device-memory')
        ? 'dma'
        : 'holes';
  const requests = guest.migrationRequests
    .map((r) => `${r.origin}:${r.kind}:${r.hostDevice ?? ''}:${r.deviceClass ?? ''}`)
    .join('|');
  return [
    definition.machine,
    definition.cpuVendor,
    guest.identityMapped,
    definition.viommu,
    definition.viommuAddressWidthBits ?? '',
    htHole,
    requests,
  ].join(';');
}
