// Filtering, paging and counting over the matrix without visiting its cells. Cells are ordered —
// guests by id, then their migration cells by host id, then their hot-plug cells in reservation
// order — and counted by groups: the selected hosts fall into groups of one column class and cordon
// state, each with its free memory sorted, so a guest's row is counted per group with one binary
// search (how many hosts there are too full for it), and rows of one class, guest-wide set and
// maxmem share that count. Only the page's rows are walked cell by cell.
import type { ConflictCode } from '../conflict/codes.js';
import type { Severity, Verdict } from '../conflict/conflict.js';
import { fitsInFreeMemory } from '../rules/migration/compatibility.js';
import type { HostClass } from './class-table.js';
import type { CodeSet, CodeSetTable, Finding } from './code-set.js';
import type { GuestRow, HostColumn } from './conflict-matrix.js';

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

export interface QuerySource {
  codeSets: CodeSetTable;
  rows: readonly GuestRow[];
  columns: readonly HostColumn[];
  hostById: ReadonlyMap<string, HostColumn>;
  hostClassOf(column: HostColumn): HostClass;
  /** A migration cell's set before the memory check: guest-wide, class pair and cordon findings. */
  baseSet(row: GuestRow, columnClass: number, unschedulable: boolean): number;
  withMemory(base: number, fits: boolean): number;
}

export const DEFAULT_LIMIT = 100;

/** Selected hosts of one column class and cordon state, free memory ascending. */
interface HostGroup {
  classId: number;
  unschedulable: boolean;
  /** Which summary group its hosts belong to (0 outside summaries). */
  summary: number;
  frees: Float64Array;
}

/** A row's migration cells per code set, before its own host is taken out. */
interface RowCounts {
  sets: number[];
  counts: number[];
}

export function runQuery(query: MatrixQuery, source: QuerySource): MatrixPage {
  const offset = Math.max(0, query.offset ?? 0);
  const limit = Math.max(0, query.limit ?? DEFAULT_LIMIT);
  const { codeSets } = source;
  const matchMemo: (boolean | undefined)[] = [];
  const matches = (id: number) => (matchMemo[id] ??= setMatches(codeSets.get(id), query));
  const perSet: number[] = [];
  const cells: MatrixCell[] = [];
  let total = 0;

  const columns = selectColumns(query, source);
  const isSelected = new Set(columns);
  const groups = hostGroups(columns, () => 0);
  const rowMemo = new Map<number, RowCounts & { matching: number; rows: number }>();
  const rows = query.guest === undefined ? source.rows : source.rows.filter((r) => r.state.id === query.guest);

  for (const row of rows) {
    if (query.kind !== 'hotplug' && columns.length > 0) {
      const key = rowKey(row);
      let memo = rowMemo.get(key);
      if (!memo) {
        const counted = countRow(row, groups, source);
        let matching = 0;
        for (let i = 0; i < counted.sets.length; i++) if (matches(counted.sets[i]!)) matching += counted.counts[i]!;
        rowMemo.set(key, (memo = { ...counted, matching, rows: 0 }));
      }
      memo.rows++;
      let rowMatches = memo.matching;
      // The guest's own host is no destination: take its cell back out.
      const own = row.state.hostId === null ? undefined : source.hostById.get(row.state.hostId);
      if (own && isSelected.has(own)) {
        const set = migrationCell(row, own, source);
        perSet[set] = (perSet[set] ?? 0) - 1;
        if (matches(set)) rowMatches--;
      }
      if (total + rowMatches > offset && cells.length < limit) {
        let seen = 0;
        for (const column of columns) {
          if (cells.length >= limit) break;
          if (column === own) continue;
          const set = migrationCell(row, column, source);
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
        perSet[set] = (perSet[set] ?? 0) + 1;
        if (total >= offset && cells.length < limit)
          cells.push(cellOf('hotplug', row, own.host.id, reservationId, codeSets.get(set)));
        total++;
      }
    }
  }
  for (const memo of rowMemo.values())
    for (let i = 0; i < memo.sets.length; i++)
      perSet[memo.sets[i]!] = (perSet[memo.sets[i]!] ?? 0) + memo.rows * memo.counts[i]!;
  const matching = perSet.map((n, id) => (n && matches(id) ? n : 0));
  return { total, offset, limit, cells, counts: countsOf(matching, codeSets) };
}

/**
 * The query's counts for each pool or host class, in one pass: hosts are grouped by column class,
 * cordon state and summary group, and each (guest class, guest-wide set) is counted once per group.
 */
export function summarize(grouping: SummaryGrouping, query: MatrixQuery, source: QuerySource): MatrixSummary {
  const { codeSets } = source;
  const matchMemo: (boolean | undefined)[] = [];
  const matches = (id: number) => (matchMemo[id] ??= setMatches(codeSets.get(id), query));
  const columns = selectColumns(query, source);
  const keyOf = (column: HostColumn) =>
    grouping === 'pool' ? (column.host.pool ?? null) : source.hostClassOf(column).label;
  const summaryIndex = new Map<string | null, number>();
  const members: HostColumn[][] = [];
  const indexOf = new Map<HostColumn, number>();
  for (const column of columns) {
    const key = keyOf(column);
    let index = summaryIndex.get(key);
    if (index === undefined) {
      index = members.length;
      summaryIndex.set(key, index);
      members.push([]);
    }
    members[index]!.push(column);
    indexOf.set(column, index);
  }
  const perGroup: number[][] = members.map(() => []);
  const add = (group: number, set: number, n: number) => {
    const counts = perGroup[group]!;
    counts[set] = (counts[set] ?? 0) + n;
  };
  const groups = hostGroups(columns, (column) => indexOf.get(column)!);
  const rows = query.guest === undefined ? source.rows : source.rows.filter((r) => r.state.id === query.guest);
  const rowsByKey = new Map<number, { row: GuestRow; rows: number }>();
  for (const row of rows) {
    const own = row.state.hostId === null ? undefined : source.hostById.get(row.state.hostId);
    const ownGroup = own === undefined ? undefined : indexOf.get(own);
    if (query.kind !== 'hotplug') {
      const key = rowKey(row);
      const seen = rowsByKey.get(key);
      if (seen) seen.rows++;
      else rowsByKey.set(key, { row, rows: 1 });
      if (ownGroup !== undefined) add(ownGroup, migrationCell(row, own!, source), -1);
    }
    if (query.kind !== 'migration' && ownGroup !== undefined) for (const { set } of row.hotplug) add(ownGroup, set, 1);
  }
  for (const { row, rows: n } of rowsByKey.values()) {
    for (const group of groups) {
      const base = source.baseSet(row, group.classId, group.unschedulable);
      const tooFull = countBelow(group.frees, row.maxMemory);
      add(group.summary, source.withMemory(base, true), n * (group.frees.length - tooFull));
      add(group.summary, source.withMemory(base, false), n * tooFull);
    }
  }
  const all: number[] = [];
  const result: SummaryGroup[] = [...summaryIndex].map(([key, index]) => {
    const matching = perGroup[index]!.map((n, id) => (n && matches(id) ? n : 0));
    matching.forEach((n, id) => (all[id] = (all[id] ?? 0) + n));
    const group: SummaryGroup = {
      key,
      hosts: members[index]!.length,
      total: matching.reduce((sum, n) => sum + (n ?? 0), 0),
      counts: countsOf(matching, codeSets),
    };
    if (grouping === 'hostClass')
      group.description = describe(source.hostClassOf(members[index]![0]!), members[index]![0]!);
    return group;
  });
  result.sort((a, b) => b.total - a.total || ((a.key ?? '') < (b.key ?? '') ? -1 : 1));
  return {
    groupBy: grouping,
    total: all.reduce((sum, n) => sum + (n ?? 0), 0),
    counts: countsOf(all, codeSets),
    groups: result,
  };
}

function selectColumns(query: MatrixQuery, source: QuerySource): HostColumn[] {
  return source.columns.filter(
    (column) =>
      (query.host === undefined || column.host.id === query.host) &&
      (query.pool === undefined || column.host.pool === query.pool) &&
      (query.hostClass === undefined || source.hostClassOf(column).label === query.hostClass),
  );
}

/** Rows of one guest class (maxmem included) and guest-wide set have the same cells, own host aside. */
const rowKey = (row: GuestRow) => row.classId * 0x40_0000 + row.guestSet;

function migrationCell(row: GuestRow, column: HostColumn, source: QuerySource): number {
  return source.withMemory(
    source.baseSet(row, column.classId, column.unschedulable),
    fitsInFreeMemory(column.free, row.maxMemory),
  );
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

function hostGroups(columns: readonly HostColumn[], summaryOf: (column: HostColumn) => number): HostGroup[] {
  const byKey = new Map<string, { classId: number; unschedulable: boolean; summary: number; frees: number[] }>();
  for (const column of columns) {
    const summary = summaryOf(column);
    const key = `${column.classId}|${column.unschedulable}|${summary}`;
    let group = byKey.get(key);
    if (!group)
      byKey.set(key, (group = { classId: column.classId, unschedulable: column.unschedulable, summary, frees: [] }));
    group.frees.push(column.free);
  }
  return [...byKey.values()].map((g) => ({ ...g, frees: Float64Array.from(g.frees).sort() }));
}

/** Every selected host's cell for this row (its own host included), by code set. */
function countRow(row: GuestRow, groups: readonly HostGroup[], source: QuerySource): RowCounts {
  const index = new Map<number, number>();
  const result: RowCounts = { sets: [], counts: [] };
  const add = (set: number, n: number) => {
    if (n === 0) return;
    const at = index.get(set);
    if (at === undefined) {
      index.set(set, result.sets.length);
      result.sets.push(set);
      result.counts.push(n);
    } else result.counts[at]! += n;
  };
  for (const group of groups) {
    const base = source.baseSet(row, group.classId, group.unschedulable);
    const tooFull = countBelow(group.frees, row.maxMemory);
    add(source.withMemory(base, true), group.frees.length - tooFull);
    add(source.withMemory(base, false), tooFull);
  }
  return result;
}

/** How many of the ascending `values` cannot hold `needed` (fitsInFreeMemory is false). */
function countBelow(values: Float64Array, needed: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (fitsInFreeMemory(values[mid]!, needed)) high = mid;
    else low = mid + 1;
  }
  return low;
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

function countsOf(perSet: readonly number[], codeSets: CodeSetTable): MatrixCounts {
  const counts: MatrixCounts = {
    byVerdict: { ok: 0, warnings: 0, blocked: 0 },
    bySeverity: { error: 0, corruption: 0, warning: 0 },
    byCode: {},
  };
  perSet.forEach((n, id) => {
    if (!n) return;
    const set = codeSets.get(id);
    counts.byVerdict[set.verdict] += n;
    for (const severity of set.severities) counts.bySeverity[severity] += n;
    for (const code of set.codes) counts.byCode[code] = (counts.byCode[code] ?? 0) + n;
  });
  return counts;
}
