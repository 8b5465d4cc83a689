// The fleet matrix keeps, per cell, only which codes fired at which severity. Identical sets are
// interned once (a fleet has a few hundred distinct ones across ten million cells), and a cell holds
// the set's id in a Uint32Array.
import { CODE_INDEX, CONFLICT_CODES, type ConflictCode } from '../conflict/codes.js';
import { SEVERITIES, verdictOf, type Severity, type Verdict } from '../conflict/conflict.js';
import type { ConflictSink } from '../conflict/sink.js';

export interface Finding {
  code: ConflictCode;
  severity: Severity;
}

export interface CodeSet {
  id: number;
  /** Sorted code×severity keys. */
  keys: readonly number[];
  findings: readonly Finding[];
  verdict: Verdict;
  codes: ReadonlySet<ConflictCode>;
  severities: ReadonlySet<Severity>;
}

const SEVERITY_INDEX: Record<Severity, number> = { error: 0, corruption: 1, warning: 2 };
const KEYSPACE = CONFLICT_CODES.length * SEVERITIES.length;
const keyOf = (code: ConflictCode, severity: Severity) =>
  CODE_INDEX.get(code)! * SEVERITIES.length + SEVERITY_INDEX[severity];

interface TrieNode {
  id: number;
  next: (TrieNode | undefined)[] | undefined;
}

export class CodeSetTable {
  private readonly sets: CodeSet[] = [];
  private readonly root: TrieNode = { id: 0, next: undefined };
  private readonly unions = new Map<number, number>();

  constructor() {
    this.sets.push(makeSet(0, []));
  }

  get empty(): CodeSet {
    return this.sets[0]!;
  }

  get(id: number): CodeSet {
    return this.sets[id]!;
  }

  get size(): number {
    return this.sets.length;
  }

  /** The first `count` of `keys`, sorted ascending and distinct. A trie walk: no string is built per cell. */
  intern(keys: readonly number[], count = keys.length): number {
    let node = this.root;
    for (let i = 0; i < count; i++) {
      const next = (node.next ??= new Array<TrieNode | undefined>(KEYSPACE));
      node = next[keys[i]!] ??= { id: -1, next: undefined };
    }
    if (node.id < 0) {
      node.id = this.sets.length;
      this.sets.push(makeSet(node.id, keys.slice(0, count)));
    }
    return node.id;
  }

  /** The set holding the findings of both (a guest row's own findings plus one cell's). */
  union(a: number, b: number): number {
    if (a === 0) return b;
    if (b === 0 || a === b) return a;
    const memoKey = a * 0x10_0000 + b;
    let id = this.unions.get(memoKey);
    if (id === undefined) {
      const keys = [...new Set([...this.keysOf(a), ...this.keysOf(b)])].sort((x, y) => x - y);
      id = this.intern(keys);
      this.unions.set(memoKey, id);
    }
    return id;
  }

  keysOf(id: number): readonly number[] {
    return this.sets[id]!.keys;
  }
}

function makeSet(id: number, keys: readonly number[]): CodeSet {
  const findings = keys.map((key) => ({
    code: CONFLICT_CODES[Math.floor(key / SEVERITIES.length)]!,
    severity: SEVERITIES[key % SEVERITIES.length]!,
  }));
  return {
    id,
    keys: [...keys],
    findings,
    verdict: verdictOf(findings),
    codes: new Set(findings.map((f) => f.code)),
    severities: new Set(findings.map((f) => f.severity)),
  };
}

/** A sink that keeps codes and severities only, and turns them into an interned set id. */
export class CodeCollector implements ConflictSink {
  readonly detailed = false;
  // Reused between cells: the matrix calls take() ten million times and should not allocate each time.
  private readonly keys: number[] = [];
  private count = 0;
  /** A whole set included into an empty collector: if nothing else arrives, take() returns it as is. */
  private pending = -1;

  constructor(private readonly table: CodeSetTable) {}

  report(code: ConflictCode, severity: Severity): void {
    this.unpend();
    this.add(keyOf(code, severity));
  }

  /** Adds every finding of an interned set, as if reported again. */
  include(setId: number): void {
    if (setId === 0) return;
    if (this.count === 0 && this.pending < 0) {
      this.pending = setId;
      return;
    }
    this.unpend();
    for (const key of this.table.keysOf(setId)) this.add(key);
  }

  /** The interned id of everything reported since the last call; resets the collector. */
  take(): number {
    if (this.pending >= 0) {
      const id = this.pending;
      this.pending = -1;
      return id;
    }
    const count = this.count;
    if (count === 0) return 0;
    const keys = this.keys;
    // Insertion sort: sets hold a handful of keys.
    for (let i = 1; i < count; i++) {
      const key = keys[i]!;
      let j = i - 1;
      while (j >= 0 && keys[j]! > key) keys[j + 1] = keys[j--]!;
      keys[j + 1] = key;
    }
    this.count = 0;
    return this.table.intern(keys, count);
  }

  private unpend(): void {
    if (this.pending < 0) return;
    const id = this.pending;
    this.pending = -1;
    for (const key of this.table.keysOf(id)) this.add(key);
  }

  private add(key: number): void {
    const keys = this.keys;
    const count = this.count;
    for (let i = 0; i < count; i++) if (keys[i] === key) return;
    keys[count] = key;
    this.count = count + 1;
  }
}
