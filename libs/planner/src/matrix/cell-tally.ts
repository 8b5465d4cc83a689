// How a migration cell is made from its parts, and how many cells of each kind a guest class has
// over a set of hosts — without visiting the cells. A cell is the union of the guest's own findings,
// its class pair's static findings, HOST_NOT_SCHEDULABLE when the host is cordoned and
// INSUFFICIENT_MEMORY when its free memory cannot hold the guest. Hosts are cut into segments of one
// column class, cordon state and summary group, free memory ascending, so a guest class's count per
// segment is one typed-array read and one binary search; tallies go to a flat counter, not a Map.
import { fitsInFreeMemory } from '../rules/migration/compatibility.js';
import type { CodeSetTable } from './code-set.js';
import type { HostColumn } from './matrix-rows.js';

export interface CellParts {
  codeSets: CodeSetTable;
  /** The static findings of a guest class on a column class (class-table.ts). */
  pairSet(guestClass: number, columnClass: number): number;
  /** The same, as stored: set id + 1 per column class, 0 where not evaluated yet (ClassTable.pairRow). */
  pairRow(guestClass: number): Uint32Array;
  unschedulableSet: number;
  insufficientMemorySet: number;
}

/** One migration cell's code set: the only place the four parts are put together. */
export function composeCell(
  parts: CellParts,
  guestSet: number,
  pair: number,
  unschedulable: boolean,
  fits: boolean,
): number {
  const { codeSets } = parts;
  let set = codeSets.union(guestSet, pair);
  if (unschedulable) set = codeSets.union(set, parts.unschedulableSet);
  return fits ? set : codeSets.union(set, parts.insufficientMemorySet);
}

/** The cell of a guest (class, own findings, maxmem) on one host. */
export const cellOn = (
  parts: CellParts,
  row: { classId: number; guestSet: number; maxMemory: number },
  column: HostColumn,
) =>
  composeCell(
    parts,
    row.guestSet,
    parts.pairSet(row.classId, column.classId),
    column.unschedulable,
    fitsInFreeMemory(column.free, row.maxMemory),
  );

/** Selected hosts cut into runs of one column class, cordon state and summary group; free memory ascending inside. */
export interface HostSegments {
  count: number;
  classIds: Int32Array;
  unschedulable: Uint8Array;
  summary: Int32Array;
  /** Segment i is frees[start[i]] … frees[start[i + 1] - 1]. */
  start: Int32Array;
  frees: Float64Array;
  summaries: number;
}

export function segmentHosts(columns: readonly HostColumn[], summaryOf: (column: HostColumn) => number): HostSegments {
  const order = columns.map((column, index) => ({ column, summary: summaryOf(column), index }));
  order.sort(
    (a, b) =>
      a.column.classId - b.column.classId ||
      Number(a.column.unschedulable) - Number(b.column.unschedulable) ||
      a.summary - b.summary ||
      a.column.free - b.column.free,
  );
  const classIds: number[] = [];
  const unschedulable: number[] = [];
  const summary: number[] = [];
  const start: number[] = [];
  let summaries = 0;
  order.forEach(({ column, summary: group }, i) => {
    const previous = order[i - 1];
    summaries = Math.max(summaries, group + 1);
    if (
      previous &&
      previous.column.classId === column.classId &&
      previous.column.unschedulable === column.unschedulable &&
      previous.summary === group
    )
      return;
    classIds.push(column.classId);
    unschedulable.push(column.unschedulable ? 1 : 0);
    summary.push(group);
    start.push(i);
  });
  start.push(order.length);
  return {
    count: classIds.length,
    classIds: Int32Array.from(classIds),
    unschedulable: Uint8Array.from(unschedulable),
    summary: Int32Array.from(summary),
    start: Int32Array.from(start),
    frees: Float64Array.from(order.map((o) => o.column.free)),
    summaries,
  };
}

/** So many hosts (per summary group) give a guest class this (pair set, cordon, fits) combination. */
export interface TallyEntry {
  pair: number;
  unschedulable: boolean;
  fits: boolean;
  /** Indexed by summary group. */
  hosts: Float64Array;
  total: number;
}

/** Counts, per guest class, the hosts of each segment kind; reuses one flat counter across classes. */
export class ClassTally {
  private counts = new Float64Array(0);
  private marks = new Uint8Array(0);
  private readonly touched: number[] = [];
  /** Per guest maxmem (a handful of sizes in a fleet): how many hosts of each segment are too full. */
  private readonly tooFullBySize = new Map<number, Int32Array>();

  constructor(
    private readonly segments: HostSegments,
    private readonly parts: CellParts,
  ) {}

  tally(guestClass: number, maxMemory: number): TallyEntry[] {
    const { segments, parts } = this;
    const stride = segments.summaries;
    const tooFull = this.tooFullFor(maxMemory);
    let row = parts.pairRow(guestClass);
    for (let s = 0; s < segments.count; s++) {
      const columnClass = segments.classIds[s]!;
      let pair = columnClass < row.length ? row[columnClass]! - 1 : -1;
      if (pair < 0) {
        pair = parts.pairSet(guestClass, columnClass);
        row = parts.pairRow(guestClass);
      }
      const hosts = segments.start[s + 1]! - segments.start[s]!;
      const kind = pair * 4 + segments.unschedulable[s]! * 2;
      const full = tooFull[s]!;
      this.add(kind + 1, stride, segments.summary[s]!, hosts - full);
      this.add(kind, stride, segments.summary[s]!, full);
    }
    const entries: TallyEntry[] = [];
    for (const kind of this.touched) {
      const hosts = this.counts.slice(kind * stride, (kind + 1) * stride);
      this.counts.fill(0, kind * stride, (kind + 1) * stride);
      this.marks[kind] = 0;
      let total = 0;
      for (const n of hosts) total += n;
      entries.push({ pair: kind >> 2, unschedulable: (kind & 2) !== 0, fits: (kind & 1) !== 0, hosts, total });
    }
    this.touched.length = 0;
    return entries;
  }

  private add(kind: number, stride: number, summary: number, hosts: number): void {
    if (hosts === 0) return;
    const end = (kind + 1) * stride;
    if (end > this.counts.length) {
      const grown = new Float64Array(Math.max(end, this.counts.length * 2, 1024));
      grown.set(this.counts);
      this.counts = grown;
    }
    if (kind >= this.marks.length) {
      const grown = new Uint8Array(Math.max(kind + 1, this.marks.length * 2, 1024));
      grown.set(this.marks);
      this.marks = grown;
    }
    if (this.marks[kind] === 0) {
      this.marks[kind] = 1;
      this.touched.push(kind);
    }
    this.counts[kind * stride + summary] += hosts;
  }

  private tooFullFor(maxMemory: number): Int32Array {
    let tooFull = this.tooFullBySize.get(maxMemory);
    if (!tooFull) {
      const { segments } = this;
      tooFull = new Int32Array(segments.count);
      for (let s = 0; s < segments.count; s++)
        tooFull[s] = countTooFull(segments.frees, segments.start[s]!, segments.start[s + 1]!, maxMemory);
      this.tooFullBySize.set(maxMemory, tooFull);
    }
    return tooFull;
  }
}

/** How many of frees[from…to) (ascending) cannot hold `needed`. */
function countTooFull(frees: Float64Array, from: number, to: number, needed: number): number {
  let low = from;
  let high = to;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (fitsInFreeMemory(frees[mid]!, needed)) high = mid;
    else low = mid + 1;
  }
  return low - from;
}
