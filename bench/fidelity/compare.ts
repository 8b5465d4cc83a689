// Runs one fidelity case on both sides and reduces each result to the counters compared.
import { runMigration, type MigrationResult, type MigrationSpec } from '@ferry/emulator';
import { QemuExecutionBackend } from '@ferry/qemu';

export interface Outcome {
  converged: boolean;
  /** completed, or why not (time-limit, failed, ...). */
  how: string;
  totalTimeMs: number;
  downtimeMs: number | null;
  transferredBytes: bigint;
  dirtySyncCount: number;
  normalPages: number;
  zeroPages: number;
  postcopy: boolean;
  note?: string;
}

export function outcomeOf(result: MigrationResult): Outcome {
  return {
    converged: result.converged,
    how: result.converged ? (result.postcopy ? 'postcopy' : 'completed') : (result.stopReason ?? result.status),
    totalTimeMs: result.info.totalTimeMs,
    downtimeMs: result.info.downtimeMs,
    transferredBytes: result.info.ram.transferredBytes,
    dirtySyncCount: result.info.ram.dirtySyncCount,
    normalPages: result.info.ram.normalPages,
    zeroPages: result.info.ram.duplicatePages,
    postcopy: result.postcopy !== null,
  };
}

export function runEmulated(spec: MigrationSpec): Outcome {
  return outcomeOf(runMigration(spec));
}

/** The QEMU backend gives up at spec.limits.timeoutMs (migrate_cancel) and reports "time-limit". */
export async function runOnQemu(backend: QemuExecutionBackend, spec: MigrationSpec): Promise<Outcome> {
  const result = await backend.startMigration(spec).result;
  const outcome = outcomeOf(result);
  const notes = [
    result.error,
    result.qemu.fillMs !== null ? `fill ${(result.qemu.fillMs / 1000).toFixed(1)} s` : null,
    result.qemu.measuredDirtyRate !== null ? `guest ${result.qemu.measuredDirtyRate} p/s` : null,
  ];
  return { ...outcome, note: notes.filter(Boolean).join('; ') };
}
