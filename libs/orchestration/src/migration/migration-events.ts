import type { DomainEvent } from '@ferry/domain';
import type { ConvergencePolicy } from './convergence-policy.js';

/** What the plan said when the migration was requested; execution re-checks if the inputs moved. */
export interface PlanSnapshot {
  verdict: 'ok' | 'warnings' | 'blocked';
  conflicts: Array<{ code: string; severity: string; message: string }>;
  inputs: Record<string, number>;
}

export interface MigrationProgress {
  iteration: number;
  status: string;
  elapsedMs: number;
  transferredBytes: string;
  remainingBytes: string;
  totalBytes: string;
  dirtyPagesRate: number;
  expectedDowntimeMs: number;
  downtimeLimitMs: number;
  cpuThrottlePercentage: number;
  mbps: number;
}

export type MigrationEvent =
  | DomainEvent<
      'MigrationRequested',
      {
        migrationId: string;
        guestId: string;
        sourceHostId: string;
        destinationHostId: string;
        policy: ConvergencePolicy;
        backend: 'emulator' | 'qemu' | 'libvirt';
        plan: PlanSnapshot;
        evacuationId: string | null;
      }
    >
  | DomainEvent<'MigrationWaiting', { reason: string }>
  | DomainEvent<'MigrationReplanned', { stale: boolean; plan: PlanSnapshot }>
  | DomainEvent<'MigrationRejected', { reason: string; conflicts: PlanSnapshot['conflicts'] }>
  | DomainEvent<'MigrationStarted', { attempt: number; worker: string }>
  | DomainEvent<'MigrationProgressed', MigrationProgress>
  | DomainEvent<'MigrationPolicyAdjusted', { downtimeLimitMs?: number; postcopy?: boolean; reason: string }>
  | DomainEvent<'MigrationSwitchedOver', { mode: 'precopy' | 'postcopy'; elapsedMs: number }>
  | DomainEvent<
      'MigrationCompleted',
      {
        totalTimeMs: number;
        downtimeMs: number;
        /**
         * QEMU's own downtime when it was physically impossible (longer than the migration) and
         * downtimeMs holds the switchover as the QEMUs' STOP/RESUME events timed it instead.
         */
        qemuReportedDowntimeMs?: number;
        transferredBytes: string;
        iterations: number;
        mode: 'precopy' | 'postcopy';
      }
    >
  | DomainEvent<'MigrationFailed', { reason: string }>
  | DomainEvent<'MigrationCancelRequested', { by: string }>
  | DomainEvent<'MigrationCancelled', { reason: string }>;

export type MigrationEventType = MigrationEvent['type'];
