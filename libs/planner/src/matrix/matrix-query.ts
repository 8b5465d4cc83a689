// Filtering, paging and counting over the matrix without visiting its cells. Cells are ordered —
// guests by id, then their migration cells by host id, then their hot-plug cells in reservation
// order. Counts come from per-guest-class tallies over the selected hosts (cell-tally.ts), shared by
// every row of one class and guest-wide set and kept until the fleet changes; each row then only
// takes its own host's cell back out. Only the page's rows are walked cell by cell, and every filter
// is decided once per distinct code set.
import type { ConflictCode } from '../conflict/codes.js';
import type { Severity, Verdict } from '../conflict/conflict.js';
import {
  cellOn,
  ClassTally,
  composeCell,
  segmentHosts,
  type CellParts,
  type HostSegments,
  type TallyEntry,
} from './cell-tally.js';
import type { HostClass } from './class-table.js';
import type { CodeSet, CodeSetTable, Finding } from './code-set.js';
import type { GuestRow, HostColumn } from './matrix-rows.js';

export interface MatrixQuery {
  kind?: 'migration' | 'hotplug';
  /** Destination pool (migration) or current host's pool (hot-plug). */
  pool?: string;
  /** Destination host (migration) or current host (hot-plug). */
  host?: string;
  /** Destination (migration) or current host's (hot-plug) host class label, as the summary names it. */
  hostClass?: string;
  guest?: string;
  code?: ConflictCode;
  /** Cells with at least one finding of this severity. */
  severity?: Severity;
  verdict?: Verdict;
  offset?: number;
  limit?: number;
}

export interface MatrixCell {
  kind: 'migration' | 'hotplug';
  guestId: string;
  hostId: string;
  reservationId: string | null;
  verdict: Verdict;
  findings: readonly Finding[];
}

export interface MatrixCounts {
  byVerdict: Record<Verdict, number>;
  /** Cells with at least one finding of the severity. */
  bySeverity: Record<Severity, number>;
  /** Cells with the code. */
  byCode: Partial<Record<ConflictCode, number>>;
}

export interface MatrixPage {
  /** Cells matching the filters (before offset/limit). */
  total: number;
  offset: number;
  limit: number;
  cells: MatrixCell[];
  counts: MatrixCounts;
}

export type SummaryGrouping = 'pool' | 'hostClass';

export interface SummaryGroup {
  /** The pool name (null: hosts without one), or the host class label. */
  key: string | null;
  hosts: number;
  /** For host classes: what its hosts share, and one of them. */
  description?: {
    arch: string;
    cpuVendor: string;
    kernel: string;
    qemuVersion: string | null;
    iommu: string;
    groups: number;
    devices: number;
    exampleHost: string;
  };
  total: number;
  counts: MatrixCounts;
}

export interface MatrixSummary {
  groupBy: SummaryGrouping;
  total: number;
  counts: MatrixCounts;
  groups: SummaryGroup[];
}

export interface QuerySource extends CellParts {
  /**
   * Tallies per host selection (filters and summary grouping), per guest class: they depend on the
   * hosts and classes only, not on the code/severity/verdict filters. The matrix empties it on change.
   */
  tallies: Map<string, Map<number, TallyEntry[]>>;
  rows: readonly GuestRow[];
  columns: readonly HostColumn[];
  hostById: ReadonlyMap<string, HostColumn>;
  hostClassOf(column: HostColumn): HostClass;
}

export const DEFAULT_LIMIT = 100;

/** A row's migration cells per code set over the selected hosts (its own host included), per summary group. */
interface RowCounts {
  sets: number[];
  /** Parallel to sets: hosts per summary group (shared with the class's tally, read only). */
  hosts: Float64Array[];
  rows: number;
  matching: number;
}

/**
 * Rows of one guest class (maxmem included) and guest-wide set have the same cells but for their own
 * host: they are counted once, from the class's tally.
 */
class RowCounter {
  private tally: ClassTally | undefined;
  private readonly byClass: Map<number, TallyEntry[]>;
  private readonly byKey = new Map<number, RowCounts>();

  constructor(
    private readonly source: QuerySource,
    selection: string,
    private readonly segments: () => HostSegments,
    private readonly matches: (set: number) => boolean,
  ) {
    let byClass = source.tallies.get(selection);
    if (!byClass) source.tallies.set(selection, (byClass = new Map<number, TallyEntry[]>()));
    this.byClass = byClass;
  }

  of(row: GuestRow): RowCounts {
    const key = row.classId * 0x40_0000 + row.guestSet;
    let counts = this.byKey.get(key);
    if (!counts) {
      let entries = this.byClass.get(row.classId);
      if (!entries) {
        this.tally ??= new ClassTally(this.segments(), this.source);
        this.byClass.set(row.classId, (entries = this.tally.tally(row.classId, row.maxMemory)));
      }
      counts = { sets: [], hosts: [], rows: 0, matching: 0 };
      for (const entry of entries) {
        const set = composeCell(this.source, row.guestSet, entry.pair, entry.unschedulable, entry.fits);
        counts.sets.push(set);
        counts.hosts.push(entry.hosts);
        if (this.matches(set)) counts.matching += entry.total;
      }
      this.byKey.set(key, counts);
    }
    return counts;
  }

  /** Every counted row's cells, added to its summary group's per-set totals. */
  addTo(perGroup: SetCounts[]): void {
    for (const { sets, hosts, rows } of this.byKey.values())
      for (let i = 0; i < sets.length; i++) {
        const bySummary = hosts[i]!;
        for (let summary = 0; summary < bySummary.length; summary++)
          if (bySummary[summary]) perGroup[summary]!.add(sets[i]!, rows * bySummary[summary]!);
      }
  }
}

/** Cells per code-set id. A typed array: sets are numbered densely, and a sparse JS array goes slow. */
class SetCounts {
  counts = new Float64Array(256);

  add(set: number, n: number): void {
    if (set >= this.counts.length) {
      const grown = new Float64Array(Math.max(set + 1, this.counts.length * 2));
      grown.set(this.counts);
      this.counts = grown;
    }
    this.counts[set] += n;
  }

  /** Only the sets the filters keep. */
  matching(matches: (set: number) => boolean): SetCounts {
    const kept = new SetCounts();
    this.counts.forEach((n, set) => {
      if (n !== 0 && matches(set)) kept.add(set, n);
    });
    return kept;
  }

  get total(): number {
    let sum = 0;
    for (const n of this.counts) sum += n;
    return sum;
  }
}

export function runQuery(query: MatrixQuery, source: QuerySource): MatrixPage {
  const offset = Math.max(0, query.offset ?? 0);
  const limit = Math.max(0, query.limit ?? DEFAULT_LIMIT);
  const { codeSets } = source;
  const matches = matcher(query, codeSets);
  const perSet = new SetCounts();
  const cells: MatrixCell[] = [];
  let total = 0;

  const columns = selectColumns(query, source);
  const isSelected = new Set(columns);
  const counter = new RowCounter(source, selectionKey(query), () => segmentHosts(columns, () => 0), matches);
  const rows = query.guest === undefined ? source.rows : source.rows.filter((r) => r.state.id === query.guest);

  for (const row of rows) {
    if (query.kind !== 'hotplug' && columns.length > 0) {
      const counts = counter.of(row);
      counts.rows++;
      let rowMatches = counts.matching;
      // The guest's own host is no destination: take its cell back out.
      const own = row.state.hostId === null ? undefined : source.hostById.get(row.state.hostId);
      if (own && isSelected.has(own)) {
        const set = cellOn(source, row, own);
        perSet.add(set, -1);
        if (matches(set)) rowMatches--;
      }
      if (total + rowMatches > offset && cells.length < limit) {
        let seen = 0;
        for (const column of columns) {
          if (cells.length >= limit) break;
          if (column === own) continue;
          const set = cellOn(source, row, column);
          if (!matches(set)) continue;
          if (total >= offset) cells.push(cellOf('migration', row, column.host.id, null, codeSets.get(set)));
          total++;
          seen++;
        }
        total += rowMatches - seen;
      } else {
        total += rowMatches;
      }
    }
    if (query.kind !== 'migration' && row.hotplug.length > 0) {
      const own = row.state.hostId ? source.hostById.get(row.state.hostId) : undefined;
      if (!own || !isSelected.has(own)) continue;
      for (const { reservationId, set } of row.hotplug) {
        if (!matches(set)) continue;
        perSet.add(set, 1);
        if (total >= offset && cells.length < limit)
          cells.push(cellOf('hotplug', row, own.host.id, reservationId, codeSets.get(set)));
        total++;
      }
    }
  }
  counter.addTo([perSet]);
  return { total, offset, limit, cells, counts: countsOf(perSet.matching(matches), codeSets) };
}

/**
 * The query's counts for each pool or host class, in one pass: hosts are segmented by summary group
 * as well, and each (guest class, guest-wide set) is counted once.
 */
export function summarize(grouping: SummaryGrouping, query: MatrixQuery, source: QuerySource): MatrixSummary {
  const { codeSets } = source;
  const matches = matcher(query, codeSets);
  const columns = selectColumns(query, source);
  const summaryIndex = new Map<string | null, number>();
  const members: HostColumn[][] = [];
  const indexOf = new Map<HostColumn, number>();
  for (const column of columns) {
    const key = grouping === 'pool' ? (column.host.pool ?? null) : source.hostClassOf(column).label;
    let index = summaryIndex.get(key);
    if (index === undefined) {
      index = members.length;
      summaryIndex.set(key, index);
      members.push([]);
    }
    members[index]!.push(column);
    indexOf.set(column, index);
  }
  const perGroup = members.map(() => new SetCounts());
  const counter = new RowCounter(
    source,
    `${selectionKey(query)}|by ${grouping}`,
    () => segmentHosts(columns, (column) => indexOf.get(column)!),
    matches,
  );
  const rows = query.guest === undefined ? source.rows : source.rows.filter((r) => r.state.id === query.guest);
  for (const row of rows) {
    const own = row.state.hostId === null ? undefined : source.hostById.get(row.state.hostId);
    const ownGroup = own === undefined ? undefined : indexOf.get(own);
    if (query.kind !== 'hotplug' && columns.length > 0) {
      counter.of(row).rows++;
      if (ownGroup !== undefined) perGroup[ownGroup]!.add(cellOn(source, row, own!), -1);
    }
    if (query.kind !== 'migration' && ownGroup !== undefined)
      for (const { set } of row.hotplug) perGroup[ownGroup]!.add(set, 1);
  }
  counter.addTo(perGroup);
  const all = new SetCounts();
  const groups: SummaryGroup[] = [...summaryIndex].map(([key, index]) => {
    const matching = perGroup[index]!.matching(matches);
    matching.counts.forEach((n, set) => n !== 0 && all.add(set, n));
    const group: SummaryGroup = {
      key,
      hosts: members[index]!.length,
      total: matching.total,
      counts: countsOf(matching, codeSets),
    };
    if (grouping === 'hostClass')
      group.description = describe(source.hostClassOf(members[index]![0]!), members[index]![0]!);
    return group;
  });
  groups.sort((a, b) => b.total - a.total || ((a.key ?? '') < (b.key ?? '') ? -1 : 1));
  return {
    groupBy: grouping,
    total: all.total,
    counts: countsOf(all, codeSets),
    groups,
  };
}

const selectionKey = (query: MatrixQuery) => JSON.stringify([query.host, query.pool, query.hostClass]);

function selectColumns(query: MatrixQuery, source: QuerySource): HostColumn[] {
  return source.columns.filter(
    (column) =>
      (query.host === undefined || column.host.id === query.host) &&
      (query.pool === undefined || column.host.pool === query.pool) &&
      (query.hostClass === undefined || source.hostClassOf(column).label === query.hostClass),
  );
}

/** Every filter is decided once per distinct code set, not once per cell. */
function matcher(query: MatrixQuery, codeSets: CodeSetTable): (set: number) => boolean {
  // 0: not decided yet, 1: no, 2: yes. Typed, like SetCounts: set ids are dense.
  let memo = new Uint8Array(256);
  return (id) => {
    if (id >= memo.length) {
      const grown = new Uint8Array(Math.max(id + 1, memo.length * 2));
      grown.set(memo);
      memo = grown;
    }
    if (memo[id] === 0) memo[id] = setMatches(codeSets.get(id), query) ? 2 : 1;
    return memo[id] === 2;
  };
}

function describe(hostClass: HostClass, example: HostColumn): NonNullable<SummaryGroup['description']> {
  const { host } = hostClass.host;
  return {
    arch: host.arch,
    cpuVendor: host.cpuVendor,
    kernel: host.kernel,
    qemuVersion: host.qemuVersion ?? null,
    iommu: host.iommu.model,
    groups: host.groups.length,
    devices: host.groups.reduce((n, g) => n + g.devices.length, 0),
    exampleHost: example.host.id,
  };
}

function setMatches(set: CodeSet, query: MatrixQuery): boolean {
  return (
    (query.code === undefined || set.codes.has(query.code)) &&
    (query.severity === undefined || set.severities.has(query.severity)) &&
    (query.verdict === undefined || set.verdict === query.verdict)
  );
}

function cellOf(
  kind: MatrixCell['kind'],
  row: GuestRow,
  hostId: string,
  reservationId: string | null,
  set: CodeSet,
): MatrixCell {
  return { kind, guestId: row.state.id, hostId, reservationId, verdict: set.verdict, findings: set.findings };
}

function countsOf(perSet: SetCounts, codeSets: CodeSetTable): MatrixCounts {
  const counts: MatrixCounts = {
    byVerdict: { ok: 0, warnings: 0, blocked: 0 },
    bySeverity: { error: 0, corruption: 0, warning: 0 },
    byCode: {},
  };
  perSet.counts.forEach((n, id) => {
    if (!n) return;
    const set = codeSets.get(id);
    counts.byVerdict[set.verdict] += n;
    for (const severity of set.severities) counts.bySeverity[severity] += n;
    for (const code of set.codes) counts.byCode[code] = (counts.byCode[code] ?? 0) + n;
  });
  return counts;
}
