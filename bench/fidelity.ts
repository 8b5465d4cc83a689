// Fidelity: the same migrations on real QEMU (the QEMU backend, TCG here) and on the emulator
// core, compared by counter: the verdict (converged, how), transferred bytes, dirty syncs,
// downtime and post-copy page requests. Times are printed but not judged: under TCG on a shared
// machine they are noise. The emulator starts its sweep where QEMU's guest stood (read back by
// the backend), and every spec field QEMU cannot reproduce is named next to the case.
// Run: npm run fidelity  (= tsx --conditions=ferry-source bench/fidelity.ts)
//   --case 12k --case idle   only these cases (by name)
//   --time-limit 60          seconds before a case counts as not converged and is cancelled
//   --emulator-only          the emulator's side only (no QEMU), e.g. to check a model change
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { qemuAvailable, QEMU_X86_64, QemuExecutionBackend } from '@ferry/qemu';
import { CASES, fidelitySpec } from './fidelity/cases.js';
import { runEmulated, runOnQemu, type Outcome } from './fidelity/compare.js';
import { printSummary, printTable, type Row } from './fidelity/table.js';

const { values } = parseArgs({
  options: {
    case: { type: 'string', multiple: true },
    'time-limit': { type: 'string', default: '60' },
    'emulator-only': { type: 'boolean', default: false },
  },
});
const timeLimitMs = Number(values['time-limit']) * 1000;
const selected = CASES.filter((c) => !values.case || values.case.includes(c.name));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

if (values['emulator-only']) {
  for (const c of selected) {
    const e = runEmulated(c, fidelitySpec(c, timeLimitMs));
    console.log(
      `${c.name}: ${e.converged ? e.how : `no (${e.how})`}, ${(Number(e.transferredBytes) / 1e6).toFixed(1)} MB, ${e.dirtySyncCount} syncs, downtime ${e.downtimeMs ?? '-'} ms, ${e.postcopyRequests} post-copy requests, ${(e.totalTimeMs / 1000).toFixed(1)} s${e.scheduleSteps.length ? `, steps at syncs ${e.scheduleSteps.join(',')}` : ''}`,
    );
  }
  process.exit(0);
}

if (!qemuAvailable()) {
  console.log(
    `${QEMU_X86_64} not found on PATH: nothing to compare against (Debian: apt-get install qemu-system-x86 nasm)`,
  );
  process.exit(0);
}

// Room for the larger cases: QEMU only allocates what the guest touches.
const backend = new QemuExecutionBackend({ maxMemoryMiB: 4096 });
const rows: Row[] = [];
console.log(`load average at start: ${load()}`);
for (const c of selected) {
  process.stdout.write(`${c.name}: QEMU… `);
  const qemu = await runOnQemu(backend, c, timeLimitMs);
  process.stdout.write('emulator… ');
  const asRun = { ...c, pagesPerSecond: qemu.pagesPerSecond };
  const emulator: Outcome = runEmulated(c, fidelitySpec(asRun, timeLimitMs, qemu.sweepPhasePages));
  if (asRun.pagesPerSecond !== c.pagesPerSecond)
    emulator.note = `run at the guest's unthrottled ${asRun.pagesPerSecond} p/s while migrating`;
  console.log(`done (load ${load()})`);
  rows.push({ case: c, qemu: qemu.outcome, emulator });
}
printTable(rows);
printSummary(rows);
console.log(`load average at end: ${load()}`);
