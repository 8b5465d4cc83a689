// Runs one fidelity case on both sides and reduces each result to the counters compared.
import { MigrationSimulation, type MigrationResult, type MigrationSpec } from '@ferry/emulator';
import type { QemuExecutionBackend, QemuMigrationResult } from '@ferry/qemu';
import { emulatorSpec, fidelitySpec, type FidelityCase } from './cases.js';
import { DowntimeScheduleDriver } from './schedule.js';

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
  postcopyRequests: number;
  /** Sync counts at which a stepwise schedule raised the downtime limit. */
  scheduleSteps: number[];
  note?: string;
}

export function outcomeOf(result: MigrationResult, scheduleSteps: number[] = []): Outcome {
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
    postcopyRequests: result.info.ram.postcopyRequests,
    scheduleSteps,
  };
}

export function runEmulated(c: FidelityCase, spec: MigrationSpec): Outcome {
  const simulation = new MigrationSimulation(emulatorSpec(spec));
  const driver = c.schedule
    ? new DowntimeScheduleDriver(c.schedule, c.downtimeLimitMs ?? 300, (downtimeLimitMs) =>
        simulation.setParameters({ downtimeLimitMs }),
      )
    : undefined;
  if (driver) simulation.onEvent((event) => driver.onEvent(event));
  const result = simulation.run();
  return outcomeOf(
    result,
    driver?.steps.map((s) => s.atSync),
  );
}

export interface QemuRun {
  outcome: Outcome;
  /** Where QEMU's guest stood in its sweep when migrating began: the emulator starts there too. */
  sweepPhasePages: number;
  /**
   * A vCPU-bound guest writes as fast as the CPU time it gets lets it (on a busy host, not the
   * calibrated rate): what it wrote just before migrating, for the emulator. Clock-paced: the spec's.
   */
  pagesPerSecond: number;
}

/** The QEMU backend gives up at spec.limits.timeoutMs (migrate_cancel) and reports "time-limit". */
export async function runOnQemu(backend: QemuExecutionBackend, c: FidelityCase, timeLimitMs: number): Promise<QemuRun> {
  const handle = backend.startMigration(fidelitySpec(c, timeLimitMs));
  const driver = c.schedule
    ? new DowntimeScheduleDriver(c.schedule, c.downtimeLimitMs ?? 300, (downtimeLimitMs) =>
        handle.setParameters({ downtimeLimitMs }),
      )
    : undefined;
  if (driver) handle.onProgress((event) => driver.onEvent(event));
  const result = await handle.result;
  const outcome = outcomeOf(
    result,
    driver?.steps.map((s) => s.atSync),
  );
  const q = result.qemu;
  const notes = [
    result.error,
    q.fillMs !== null ? `fill ${(q.fillMs / 1000).toFixed(1)} s` : null,
    q.rateBeforeMigrating !== null
      ? `guest ${q.rateBeforeMigrating} p/s before, ${q.measuredDirtyRate ?? '?'} while migrating (${q.pacing}-paced)`
      : null,
    q.sweepPhasePages !== null ? `phase ${q.sweepPhasePages} pages` : null,
    result.info.reportedDowntimeMs !== undefined
      ? `QEMU said downtime ${result.info.reportedDowntimeMs} ms, recorded the measured one`
      : null,
    result.info.measuredDowntimeMs !== undefined ? `STOP→RESUME ${result.info.measuredDowntimeMs} ms` : null,
    ...q.notes,
  ];
  return {
    outcome: { ...outcome, note: notes.filter(Boolean).join('; ') },
    sweepPhasePages: q.sweepPhasePages ?? 0,
    pagesPerSecond: q.pacing === 'vcpu' ? (unthrottledRate(result) ?? c.pagesPerSecond) : c.pagesPerSecond,
  };
}

/**
 * The rate a vCPU-bound guest had the CPU for while migrating, with the throttle taken out: on
 * this shared host the CPU time a vCPU gets varies far more than the throttle, so the rate it
 * wrote at while migrating, divided by the time-weighted (1 − throttle) QEMU reported, is what
 * the emulator's guest should write at before its own throttle applies.
 */
function unthrottledRate(result: QemuMigrationResult): number | undefined {
  const measured = result.qemu.measuredDirtyRate;
  const total = result.info.totalTimeMs;
  if (measured === null || total <= 0) return undefined;
  let running = 0;
  let lastAt = 0;
  let throttle = 0;
  for (const it of result.iterations) {
    running += (it.atMs - lastAt) * (1 - throttle / 100);
    lastAt = it.atMs;
    throttle = it.cpuThrottlePercentage;
  }
  running += Math.max(0, total - lastAt) * (1 - throttle / 100);
  return running > 0 ? Math.round((measured * total) / running) : undefined;
}
