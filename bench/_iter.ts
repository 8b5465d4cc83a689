import { QemuExecutionBackend } from '@ferry/qemu';
import { MigrationSimulation } from '@ferry/emulator';
import { CASES, fidelitySpec, emulatorSpec } from './fidelity/cases.js';
const c = CASES.find((x) => x.name === process.argv[2])!;
const q = await new QemuExecutionBackend({ maxMemoryMiB: 4096 }).startMigration(fidelitySpec(c, 60000)).result;
const e = new MigrationSimulation(emulatorSpec(fidelitySpec(c, 60000, q.qemu.sweepPhasePages ?? 0))).run();
console.log('phase', q.qemu.sweepPhasePages, 'rate', q.qemu.rateBeforeMigrating, q.qemu.measuredDirtyRate);
const n = Math.max(q.iterations.length, e.iterations.length);
for (let i = 0; i < n; i++) {
  const a = q.iterations[i],
    b = e.iterations[i];
  const f = (x: any) =>
    x
      ? `${x.atMs}ms dur ${x.durationMs} sent ${(Number(x.transferredBytes) / 1e6).toFixed(1)}MB new ${x.newlyDirtyPages} rem ${(Number(x.remainingBytes) / 4096).toFixed(0)}p`
      : '-';
  console.log(i + 1, 'Q', f(a), '| E', f(b));
}
console.log('Q', q.info.totalTimeMs, q.info.ram.transferredBytes, 'E', e.info.totalTimeMs, e.info.ram.transferredBytes);
