// The comparison table: QEMU next to the emulator per counter, then how many cases agree and the
// worst disagreement of each counter. Agreement: the same verdict (converged or not, and how:
// pre-copy or post-copy); bytes within ±20 %; dirty syncs within ±30 %; downtime within ±10 ms
// or ±20 % (whichever is looser). QEMU's own run-to-run noise is about 2 % in bytes.
import type { FidelityCase } from './cases.js';
import type { Outcome } from './compare.js';

const BYTES_TOLERANCE = 0.2;
const SYNCS_TOLERANCE = 0.3;
const DOWNTIME_TOLERANCE = { ms: 10, relative: 0.2 };

export interface Row {
  case: FidelityCase;
  qemu: Outcome;
  emulator: Outcome;
}

interface Verdicts {
  verdict: boolean;
  bytes: boolean;
  syncs: boolean;
  downtime: boolean;
}

const mb = (bytes: bigint) => (Number(bytes) / 1e6).toFixed(1);
const ratio = (emulator: number, qemu: number) => (qemu === 0 ? (emulator === 0 ? 1 : Infinity) : emulator / qemu);
const fmt = (r: number) => (Number.isFinite(r) ? r.toFixed(2) : '∞');
const verdictOf = (o: Outcome) => (o.converged ? o.how : `no (${o.how})`);
const mark = (ok: boolean) => (ok ? '' : ' ✗');

function downtimeAgrees(q: number | null, e: number | null): boolean {
  if (q === null || e === null) return q === e;
  const diff = Math.abs(e - q);
  return diff <= DOWNTIME_TOLERANCE.ms || diff <= DOWNTIME_TOLERANCE.relative * q;
}

export function verdicts(row: Row): Verdicts {
  const { qemu: q, emulator: e } = row;
  return {
    verdict: q.converged === e.converged && q.postcopy === e.postcopy,
    bytes: Math.abs(ratio(Number(e.transferredBytes), Number(q.transferredBytes)) - 1) <= BYTES_TOLERANCE,
    syncs: Math.abs(ratio(e.dirtySyncCount, q.dirtySyncCount) - 1) <= SYNCS_TOLERANCE,
    downtime: downtimeAgrees(q.downtimeMs, e.downtimeMs),
  };
}

export function printTable(rows: Row[]): void {
  console.table(
    rows.map((row) => {
      const v = verdicts(row);
      const { qemu: q, emulator: e } = row;
      return {
        case: row.case.name,
        'verdict Q / E': `${verdictOf(q)} / ${verdictOf(e)}${mark(v.verdict)}`,
        'MB Q / E': `${mb(q.transferredBytes)} / ${mb(e.transferredBytes)} (${fmt(ratio(Number(e.transferredBytes), Number(q.transferredBytes)))})${mark(v.bytes)}`,
        'syncs Q / E': `${q.dirtySyncCount} / ${e.dirtySyncCount}${mark(v.syncs)}`,
        'downtime ms Q / E': `${q.downtimeMs ?? '-'} / ${e.downtimeMs ?? '-'}${mark(v.downtime)}`,
        'pc requests Q / E': q.postcopy || e.postcopy ? `${q.postcopyRequests} / ${e.postcopyRequests}` : '-',
        'total s Q / E': `${(q.totalTimeMs / 1000).toFixed(1)} / ${(e.totalTimeMs / 1000).toFixed(1)}`,
        ...(row.case.schedule
          ? { 'steps at sync Q / E': `${q.scheduleSteps.join(',')} / ${e.scheduleSteps.join(',')}` }
          : {}),
      };
    }),
  );
  for (const row of rows) {
    const detail = (o: Outcome) => `normal ${o.normalPages}, zero ${o.zeroPages}`;
    console.log(
      `  ${row.case.name}: QEMU ${detail(row.qemu)}${row.qemu.note ? ` (${row.qemu.note})` : ''}; emulator ${detail(row.emulator)}${row.emulator.note ? ` (${row.emulator.note})` : ''}`,
    );
  }
}

/** How many cases agree per counter, and the worst case of each. */
export function printSummary(rows: Row[]): void {
  const count = (key: keyof Verdicts) => rows.filter((row) => verdicts(row)[key]).length;
  const worst = (score: (row: Row) => number | undefined, show: (row: Row, s: number) => string) => {
    let best: { row: Row; s: number } | undefined;
    for (const row of rows) {
      const s = score(row);
      if (s !== undefined && (!best || s > best.s)) best = { row, s };
    }
    return best ? `${best.row.case.name}: ${show(best.row, best.s)}` : '-';
  };
  const bytesOff = (row: Row) => ratio(Number(row.emulator.transferredBytes), Number(row.qemu.transferredBytes)) - 1;
  const syncsOff = (row: Row) => ratio(row.emulator.dirtySyncCount, row.qemu.dirtySyncCount) - 1;
  const downtimeOff = (row: Row) =>
    row.qemu.downtimeMs !== null && row.emulator.downtimeMs !== null
      ? row.emulator.downtimeMs - row.qemu.downtimeMs
      : undefined;
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(0)} %`;
  const all = rows.filter((row) => Object.values(verdicts(row)).every(Boolean)).length;
  console.log(`\nagreement over ${rows.length} cases (all four: ${all}):`);
  console.log(`  verdict identical     ${count('verdict')}/${rows.length}`);
  console.log(
    `  bytes ±20 %           ${count('bytes')}/${rows.length}   worst ${worst(
      (r) => Math.abs(bytesOff(r)),
      (r) => pct(bytesOff(r)),
    )}`,
  );
  console.log(
    `  syncs ±30 %           ${count('syncs')}/${rows.length}   worst ${worst(
      (r) => Math.abs(syncsOff(r)),
      (r) => `${r.qemu.dirtySyncCount} vs ${r.emulator.dirtySyncCount} (${pct(syncsOff(r))})`,
    )}`,
  );
  console.log(
    `  downtime ±10 ms/20 %  ${count('downtime')}/${rows.length}   worst ${worst(
      (r) => {
        const d = downtimeOff(r);
        return d === undefined ? undefined : Math.abs(d);
      },
      (r) => `${r.qemu.downtimeMs} vs ${r.emulator.downtimeMs} ms`,
    )}`,
  );
  const off = rows.filter((row) => !Object.values(verdicts(row)).every(Boolean));
  for (const row of off) {
    const v = verdicts(row);
    const which = (Object.keys(v) as (keyof Verdicts)[]).filter((k) => !v[k]);
    console.log(`  ✗ ${row.case.name}: ${which.join(', ')}`);
  }
}
