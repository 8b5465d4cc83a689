// The comparison table: QEMU next to the emulator per counter, with emulator/QEMU ratios for the
// counters that must agree (transferred bytes, dirty syncs) and for the times, shown but not judged.
import type { FidelityCase } from './cases.js';
import type { Outcome } from './compare.js';

/** Within ±30 % (the calibration target is 20–30 %). */
const TOLERANCE = 0.3;

export interface Row {
  case: FidelityCase;
  qemu: Outcome;
  emulator: Outcome;
}

const mb = (bytes: bigint) => (Number(bytes) / 1e6).toFixed(1);
const ratio = (emulator: number, qemu: number) => (qemu === 0 ? (emulator === 0 ? 1 : Infinity) : emulator / qemu);
const fmt = (r: number) => (Number.isFinite(r) ? r.toFixed(2) : '∞');
const converged = (o: Outcome) => (o.converged ? `yes (${o.how})` : `no (${o.how})`);

export function verdicts(row: Row): { bytes: boolean; syncs: boolean; convergence: boolean } {
  const within = (r: number) => Math.abs(r - 1) <= TOLERANCE;
  return {
    bytes: within(ratio(Number(row.emulator.transferredBytes), Number(row.qemu.transferredBytes))),
    syncs: within(ratio(row.emulator.dirtySyncCount, row.qemu.dirtySyncCount)),
    convergence: row.qemu.converged === row.emulator.converged && row.qemu.postcopy === row.emulator.postcopy,
  };
}

export function printTable(rows: Row[]): void {
  console.table(
    rows.map((row) => {
      const v = verdicts(row);
      return {
        case: row.case.name,
        'total s Q/E': `${(row.qemu.totalTimeMs / 1000).toFixed(1)} / ${(row.emulator.totalTimeMs / 1000).toFixed(1)}`,
        'downtime ms Q/E': `${row.qemu.downtimeMs ?? '-'} / ${row.emulator.downtimeMs ?? '-'}`,
        'MB sent Q/E': `${mb(row.qemu.transferredBytes)} / ${mb(row.emulator.transferredBytes)}`,
        'bytes E/Q': `${fmt(ratio(Number(row.emulator.transferredBytes), Number(row.qemu.transferredBytes)))}${v.bytes ? '' : ' ✗'}`,
        'syncs Q/E': `${row.qemu.dirtySyncCount} / ${row.emulator.dirtySyncCount}`,
        'syncs E/Q': `${fmt(ratio(row.emulator.dirtySyncCount, row.qemu.dirtySyncCount))}${v.syncs ? '' : ' ✗'}`,
        'converged Q': converged(row.qemu),
        'converged E': `${converged(row.emulator)}${v.convergence ? '' : ' ✗'}`,
      };
    }),
  );
  for (const row of rows) {
    const detail = (o: Outcome) => `normal ${o.normalPages}, zero ${o.zeroPages}`;
    console.log(
      `  ${row.case.name}: QEMU ${detail(row.qemu)}${row.qemu.note ? ` (${row.qemu.note})` : ''}; emulator ${detail(row.emulator)}`,
    );
  }
}
