// The end of a QEMU-backed migration in the emulator's terms: VM states, the post-copy report,
// and QEMU's error text with the destination's own words attached.
import type { DestinationVmState, IterationReport, PostcopyReport } from '@ferry/emulator';
import type { RunState } from '../process/qemu-vm.js';
import type { RawMigrationInfo } from './backend-report.js';
import type { QmpMigrationOutcome } from './qemu-migration.js';

const PAGE = 4096n;

export function destinationState(state: RunState): DestinationVmState {
  if (state === 'running') return 'running';
  if (state === 'inmigrate') return 'inmigrate';
  if (state === 'paused' || state === 'postcopy-paused') return 'paused';
  return 'shutdown'; // exited, or anything else that will not run the guest
}

/**
 * The source only sees its socket break ("Unable to write to socket: Broken pipe"); the
 * destination says why (e.g. 'Size mismatch: pc.ram: …'). Both, verbatim, in one line.
 */
export function errorOf(outcome: QmpMigrationOutcome): string | null {
  if (outcome.error === undefined) return null;
  const destination =
    outcome.status === 'failed'
      ? outcome.destinationStderr.trim().split('\n').filter(Boolean).slice(0, 3).join(' | ')
      : '';
  return destination ? `${outcome.error}; destination: ${destination}` : outcome.error;
}

/**
 * QEMU reports post-copy totals, not when the switch happened: `startedAtMs` comes from the
 * MIGRATION event's arrival, and faults are counted as one page each (postcopy-requests).
 */
export function postcopyReportOf(
  startedAtMs: number | undefined,
  iterations: readonly IterationReport[],
  raw: RawMigrationInfo,
  totalTimeMs: number,
): PostcopyReport | null {
  if (startedAtMs === undefined) return null;
  const faultCount = raw.ram?.['postcopy-requests'] ?? 0;
  const faultBytes = BigInt(faultCount) * PAGE;
  const postcopyBytes = BigInt(raw.ram?.['postcopy-bytes'] ?? 0);
  // The discard-bitmap sync at the switch is the first one at or after it.
  const atSwitch = iterations.find((it) => it.atMs >= startedAtMs) ?? iterations.at(-1);
  return {
    startedAtMs,
    remainingAtSwitchBytes: atSwitch?.remainingBytes ?? 0n,
    faultCount,
    faultBytes,
    backgroundBytes: postcopyBytes > faultBytes ? postcopyBytes - faultBytes : 0n,
    durationMs: Math.max(0, totalTimeMs - startedAtMs),
  };
}
