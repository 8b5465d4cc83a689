// The static part of every migration cell, evaluated once per (guest class × column class).
//
// A guest class is the guest's classKey (prepared-guest.ts); a column class is a host's classKey plus
// the PCI addresses other guests hold there — the only part of a host's occupancy a static rule reads
// (GROUP_SPLIT_ACROSS_GUESTS). Free memory and cordon are the per-cell facts (PER_CELL_FINDINGS) and
// are added by the matrix when a cell is read; every other rule runs here, on one representative
// guest and host of each class, with the very functions planMigration runs.
import type { ConflictCode } from '../conflict/codes.js';
import type { ConflictSink } from '../conflict/sink.js';
import type { Severity } from '../conflict/conflict.js';
import { evaluateMigrationDestination } from '../evaluate/evaluate-migration.js';
import { HostOccupancy } from '../prepare/occupancy.js';
import type { PreparedGuest } from '../prepare/prepared-guest.js';
import type { PreparedHost } from '../prepare/prepared-host.js';
import { PER_CELL_FINDINGS } from '../rules/migration/compatibility.js';
import { CodeCollector, type CodeSetTable } from './code-set.js';

export interface GuestClass {
  id: number;
  /** The first guest seen with this key: every member answers as it does. */
  guest: PreparedGuest;
  /** Whether any destination's occupancy can matter: only device requests meet other guests' groups. */
  requestsDevices: boolean;
  /** Numbers the requests: guest classes asking for the same devices reach the same groups. */
  requestId: number;
}

export interface HostClass {
  id: number;
  /** Stable across restarts: a hash of the class key. */
  label: string;
  host: PreparedHost;
}

export interface ColumnClass {
  id: number;
  hostClass: HostClass;
  /** The host facts every member shares (its id, memory and pool are never read here). */
  host: PreparedHost;
  held: readonly string[];
  occupancy: HostOccupancy;
  /** The same host class with nothing held: where guests without device requests get their answer. */
  base: ColumnClass;
}

const PER_CELL_CODES: ReadonlySet<ConflictCode> = new Set(Object.values(PER_CELL_FINDINGS).map((f) => f.code));

/** Passes every finding but the per-cell ones through to the collector. */
class StaticFindings implements ConflictSink {
  readonly detailed = false;
  constructor(private readonly inner: CodeCollector) {}
  report(code: ConflictCode, severity: Severity): void {
    if (!PER_CELL_CODES.has(code)) this.inner.report(code, severity);
  }
}

export class ClassTable {
  readonly guestClasses: GuestClass[] = [];
  readonly hostClasses: HostClass[] = [];
  readonly columnClasses: ColumnClass[] = [];
  private readonly guestIds = new Map<string, number>();
  private readonly hostIds = new Map<string, number>();
  private readonly labels = new Set<string>();
  private readonly columnIds = new Map<string, number>();
  private readonly requestIds = new Map<string, number>();
  /** Per request id, per host class: the PCI addresses in the groups those requests can land in. */
  private readonly reachable: ReadonlySet<string>[][] = [];
  /** Per guest class, per column class: code-set id + 1 (0: not evaluated yet). */
  private readonly pairs: Uint32Array[] = [];
  private readonly collector: CodeCollector;
  private readonly sink: StaticFindings;

  constructor(
    private readonly codeSets: CodeSetTable,
    private readonly onEvaluate?: (guestClass: GuestClass, columnClass: ColumnClass) => void,
  ) {
    this.collector = new CodeCollector(codeSets);
    this.sink = new StaticFindings(this.collector);
  }

  guestClassOf(guest: PreparedGuest): number {
    let id = this.guestIds.get(guest.classKey);
    if (id === undefined) {
      id = this.guestClasses.length;
      this.guestIds.set(guest.classKey, id);
      const requestKey = guest.migrationRequests.map((r) => `${r.hostDevice ?? ''}/${r.deviceClass ?? ''}`).join(',');
      let requestId = this.requestIds.get(requestKey);
      if (requestId === undefined) this.requestIds.set(requestKey, (requestId = this.requestIds.size));
      this.guestClasses.push({ id, guest, requestsDevices: guest.migrationRequests.length > 0, requestId });
      this.pairs.push(new Uint32Array(Math.max(16, this.columnClasses.length * 2)));
    }
    return id;
  }

  /**
   * Forgets a guest class no guest has any more: its pairs go, and a guest with the same facts later
   * gets a fresh class. Without this, a long-lived API would keep one row of pairs per guest change.
   */
  releaseGuestClass(id: number): void {
    const guestClass = this.guestClasses[id]!;
    if (this.guestIds.get(guestClass.guest.classKey) === id) this.guestIds.delete(guestClass.guest.classKey);
    this.pairs[id] = new Uint32Array(0);
  }

  /** Guest classes whose pairs are still held (released ones keep only a tombstone). */
  keptGuestClasses(): number {
    return this.pairs.filter((row) => row.length > 0).length;
  }

  columnClassOf(host: PreparedHost, occupancy: HostOccupancy): number {
    return this.columnClassFor(this.hostClassOf(host), occupancy.heldAddresses());
  }

  private columnClassFor(hostClass: HostClass, held: readonly string[]): number {
    const key = `${hostClass.id}|${held.join(',')}`;
    let id = this.columnIds.get(key);
    if (id !== undefined) return id;
    const base = held.length === 0 ? undefined : this.columnClasses[this.columnClassFor(hostClass, [])]!;
    id = this.columnClasses.length;
    this.columnIds.set(key, id);
    const column: Omit<ColumnClass, 'base'> & { base?: ColumnClass } = {
      id,
      hostClass,
      host: hostClass.host,
      held,
      occupancy: HostOccupancy.heldByOthers(held),
    };
    // A class with nothing held is its own base.
    column.base = base ?? (column as ColumnClass);
    this.columnClasses.push(column as ColumnClass);
    return id;
  }

  /** The static findings of a guest class on a column class, evaluated on first use. */
  /**
   * One guest class's evaluated pairs, by column class: code-set id + 1, 0 where not evaluated yet.
   * Hot loops read it directly and call pairSet for a 0; the array may be replaced as it grows.
   */
  pairRow(guestClassId: number): Uint32Array {
    return this.pairs[guestClassId]!;
  }

  pairSet(guestClassId: number, columnClassId: number): number {
    let row = this.pairs[guestClassId]!;
    if (columnClassId >= row.length) {
      const grown = new Uint32Array(Math.max(columnClassId + 1, row.length * 2));
      grown.set(row);
      this.pairs[guestClassId] = row = grown;
    }
    const stored = row[columnClassId]!;
    if (stored !== 0) return stored - 1;
    const guestClass = this.guestClasses[guestClassId]!;
    const column = this.columnClasses[columnClassId]!;
    const relevant = this.relevantColumn(guestClass, column);
    const set = relevant === column ? this.evaluate(guestClass, column) : this.pairSet(guestClassId, relevant.id);
    row[columnClassId] = set + 1;
    return set;
  }

  /**
   * The column class with only the holdings this guest class can meet. Other guests' holdings are read
   * only by GROUP_SPLIT_ACROSS_GUESTS, for the groups its device requests can land in (by address: that
   * device's group; by class: every group with a device of the class), and only on its own architecture.
   */
  private relevantColumn(guestClass: GuestClass, column: ColumnClass): ColumnClass {
    if (column.base === column) return column;
    if (!guestClass.requestsDevices || guestClass.guest.arch !== column.host.arch) return column.base;
    const reachable = this.reachableAddresses(guestClass, column.hostClass);
    const held = column.held.filter((address) => reachable.has(address));
    return held.length === column.held.length
      ? column
      : this.columnClasses[this.columnClassFor(column.hostClass, held)]!;
  }

  private reachableAddresses(guestClass: GuestClass, hostClass: HostClass): ReadonlySet<string> {
    const byHostClass = (this.reachable[guestClass.requestId] ??= []);
    let reachable = byHostClass[hostClass.id];
    if (!reachable) {
      const { host } = hostClass;
      const groups = new Set(
        guestClass.guest.migrationRequests.flatMap((request) => {
          if (request.hostDevice) {
            const device = host.deviceByAddress.get(request.hostDevice);
            return device ? [device.group] : [];
          }
          const devices = request.deviceClass ? (host.devicesByClass.get(request.deviceClass) ?? []) : host.allDevices;
          return devices.map((d) => d.group);
        }),
      );
      reachable = new Set([...groups].flatMap((g) => g.devices.map((d) => d.address)));
      byHostClass[hostClass.id] = reachable;
    }
    return reachable;
  }

  private evaluate(guestClass: GuestClass, column: ColumnClass): number {
    this.onEvaluate?.(guestClass, column);
    evaluateMigrationDestination(guestClass.guest, column.host, column.occupancy, this.sink);
    return this.collector.take();
  }

  private hostClassOf(host: PreparedHost): HostClass {
    let id = this.hostIds.get(host.classKey);
    if (id === undefined) {
      id = this.hostClasses.length;
      this.hostIds.set(host.classKey, id);
      this.hostClasses.push({ id, label: this.labelFor(host.classKey), host });
    }
    return this.hostClasses[id]!;
  }

  private labelFor(key: string): string {
    const base = `hc-${fnv1a(key).toString(16).padStart(8, '0')}`;
    let label = base;
    for (let n = 2; this.labels.has(label); n++) label = `${base}-${n}`;
    this.labels.add(label);
    return label;
  }
}

/** 32-bit FNV-1a: a short, stable name for a class key. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
