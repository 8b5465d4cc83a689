// Filtering, paging and counting over the matrix. Cells are visited in a stable order — guests by id,
// then their migration cells by host id, then their hot-plug cells in reservation order — and every
// filter is decided once per distinct code set, not once per cell.
import type { ConflictCode } from '../../libs/planner/src/conflict/codes.js';
import type { Severity, Verdict } from '../../libs/planner/src/conflict/conflict.js';
import type { CodeSet, CodeSetTable, Finding } from '../../libs/planner/src/matrix/code-set.js';
import type { GuestRow, HostColumn } from './conflict-matrix.js';

export interface MatrixQuery {
  kind?: 'migration' | 'hotplug';
  /** Destination pool (migration) or current host's pool (hot-plug). */
  pool?: string;
  /** Destination host (migration) or current host (hot-plug). */
  host?: string;
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

export interface QuerySource {
  codeSets: CodeSetTable;
  rows: readonly GuestRow[];
  columns: readonly HostColumn[];
  hostById: ReadonlyMap<string, HostColumn>;
}

export const DEFAULT_LIMIT = 100;

export function runQuery(query: MatrixQuery, source: QuerySource): MatrixPage {
  const offset = Math.max(0, query.offset ?? 0);
  const limit = Math.max(0, query.limit ?? DEFAULT_LIMIT);
  const { codeSets } = source;
  const matchMemo: (boolean | undefined)[] = [];
  const matches = (id: number) => (matchMemo[id] ??= setMatches(codeSets.get(id), query));
  const perSet: number[] = [];
  const cells: MatrixCell[] = [];
  let total = 0;

  const visit = (setId: number, cell: () => MatrixCell) => {
    if (!matches(setId)) return;
    perSet[setId] = (perSet[setId] ?? 0) + 1;
    if (total >= offset && cells.length < limit) cells.push(cell());
    total++;
  };

  const columns = source.columns.filter(
    (c) =>
      (query.host === undefined || c.host.id === query.host) &&
      (query.pool === undefined || c.host.pool === query.pool),
  );
  const rows = query.guest === undefined ? source.rows : source.rows.filter((r) => r.state.id === query.guest);
  for (const row of rows) {
    if (query.kind !== 'hotplug') {
      for (const column of columns) {
        const stored = row.cells[column.slot]!;
        if (stored === 0) continue;
        const setId = codeSets.union(row.guestSet, stored - 1);
        visit(setId, () => cellOf('migration', row, column.host.id, null, codeSets.get(setId)));
      }
    }
    if (query.kind !== 'migration' && row.hotplug.length > 0) {
      const own = row.state.hostId ? source.hostById.get(row.state.hostId) : undefined;
      if (
        !own ||
        (query.host !== undefined && own.host.id !== query.host) ||
        (query.pool !== undefined && own.host.pool !== query.pool)
      )
        continue;
      for (const { reservationId, set } of row.hotplug)
        visit(set, () => cellOf('hotplug', row, own.host.id, reservationId, codeSets.get(set)));
    }
  }
  return { total, offset, limit, cells, counts: countsOf(perSet, codeSets) };
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
