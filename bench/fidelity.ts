// Fidelity: the same migrations on real QEMU (the QEMU backend, TCG here) and on the emulator
// core, compared by counter. Times are printed but not judged: under TCG on a shared machine they
// are noise; transferred bytes, dirty-sync-count and whether it converged must agree.
// Run: npm run fidelity  (= tsx --conditions=ferry-source bench/fidelity.ts)
//   --case 12k --case idle   only these cases (by name)
//   --time-limit 60          seconds before a case counts as not converged and is cancelled
import { parseArgs } from 'node:util';
import { qemuAvailable, QEMU_X86_64, QemuExecutionBackend } from '@ferry/qemu';
import { CASES, fidelitySpec } from './fidelity/cases.js';
import { runEmulated, runOnQemu } from './fidelity/compare.js';
import { printTable, verdicts, type Row } from './fidelity/table.js';

const { values } = parseArgs({
  options: { case: { type: 'string', multiple: true }, 'time-limit': { type: 'string', default: '60' } },
});
const timeLimitMs = Number(values['time-limit']) * 1000;
const selected = CASES.filter((c) => !values.case || values.case.includes(c.name));

if (!qemuAvailable()) {
  console.log(
    `${QEMU_X86_64} not found on PATH: nothing to compare against (Debian: apt-get install qemu-system-x86 nasm)`,
  );
  process.exit(0);
}

const backend = new QemuExecutionBackend();
const rows: Row[] = [];
for (const c of selected) {
  const spec = fidelitySpec(c, timeLimitMs);
  process.stdout.write(`${c.name}: QEMU… `);
  const qemu = await runOnQemu(backend, spec);
  process.stdout.write('emulator… ');
  const emulator = runEmulated(spec);
  console.log('done');
  rows.push({ case: c, qemu, emulator });
}
printTable(rows);
const off = rows.filter((row) => Object.values(verdicts(row)).includes(false)).map((row) => row.case.name);
console.log(
  off.length === 0 ? 'all cases agree (bytes and syncs within 30 %, same convergence)' : `disagree: ${off.join(', ')}`,
);
