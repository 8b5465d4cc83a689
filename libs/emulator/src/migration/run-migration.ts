// Synchronous entry points: run a whole simulated migration, or ask the planner's question
// "will it converge, how long, how much downtime" of the same engine.
import type { MigrationResult } from './migration-report.js';
import { MigrationSimulation } from './migration-simulation.js';
import type { MigrationSpec } from './migration-spec.js';

export function runMigration(spec: MigrationSpec): MigrationResult {
  return new MigrationSimulation(spec).run();
}

export type PredictionReason =
  /** Pre-copy converged with the guest running at full speed. */
  | 'converged'
  /** Pre-copy converged only because auto-converge throttled the guest's vCPUs. */
  | 'converged-with-throttle'
  /** Pre-copy did not converge; post-copy finished the migration. */
  | 'completed-in-postcopy'
  /** The dirty-sync limit was reached with more left than fits the downtime limit. */
  | 'iteration-limit'
  /** The virtual-time limit was reached first. */
  | 'time-limit'
  | 'network-failure';

export interface MigrationPrediction {
  converged: boolean;
  /** Until the guest runs on the destination with all its memory (or until the engine gave up). */
  totalTimeMs: number;
  /** Guest pause at switchover; null when it never switched over. */
  downtimeMs: number | null;
  /** Dirty-bitmap syncs (dirty-sync-count). */
  iterations: number;
  transferredBytes: bigint;
  reason: PredictionReason;
  /** One line for an operator. */
  message: string;
  maxThrottlePercent: number;
}

export function predictMigration(spec: MigrationSpec): MigrationPrediction {
  const result = runMigration(spec);
  const reason = reasonOf(result);
  const last = result.iterations[result.iterations.length - 1];
  const maxThrottlePercent = result.throttleSteps.reduce((max, step) => Math.max(max, step), 0);
  return {
    converged: result.converged,
    totalTimeMs: result.info.totalTimeMs,
    downtimeMs: result.info.downtimeMs,
    iterations: result.info.ram.dirtySyncCount,
    transferredBytes: result.info.ram.transferredBytes,
    reason,
    maxThrottlePercent,
    message: messageOf(reason, result, last?.remainingBytes ?? 0n, last?.thresholdBytes ?? 0n, maxThrottlePercent),
  };
}

function reasonOf(result: MigrationResult): PredictionReason {
  if (result.stopReason === 'completed') {
    if (result.postcopy) return 'completed-in-postcopy';
    return result.throttleSteps.length > 0 ? 'converged-with-throttle' : 'converged';
  }
  if (result.stopReason === 'time-limit' || result.stopReason === 'network-failure') return result.stopReason;
  return 'iteration-limit';
}

function messageOf(
  reason: PredictionReason,
  result: MigrationResult,
  remaining: bigint,
  threshold: bigint,
  maxThrottle: number,
): string {
  const seconds = (result.info.totalTimeMs / 1000).toFixed(1);
  switch (reason) {
    case 'converged':
      return `converges in ${seconds} s with ${result.info.downtimeMs} ms downtime`;
    case 'converged-with-throttle':
      return `converges in ${seconds} s only with the guest's CPUs throttled up to ${maxThrottle} %`;
    case 'completed-in-postcopy':
      return `pre-copy stalls; post-copy completes in ${seconds} s after ${result.postcopy?.faultCount ?? 0} remote page faults`;
    case 'iteration-limit':
    case 'time-limit':
      return `does not converge: after ${result.info.ram.dirtySyncCount} dirty syncs (${seconds} s) ${remaining} bytes remain, more than the ${threshold}-byte switchover threshold`;
    case 'network-failure':
      return `the migration stream failed after ${seconds} s`;
    default: {
      const unknown: never = reason;
      return unknown;
    }
  }
}
