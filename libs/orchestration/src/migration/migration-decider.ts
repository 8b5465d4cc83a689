import { DomainError } from '@ferry/domain';
import type { MigrationEvent, MigrationProgress, PlanSnapshot } from './migration-events.js';
import type { ConvergencePolicy } from './convergence-policy.js';

/** Every state a migration can be in, in lifecycle order; the last four are terminal. */
export const MIGRATION_STATES = [
  'requested',
  'waiting',
  'running',
  'completed',
  'failed',
  'cancelled',
  'rejected',
] as const;
export type MigrationStateName = (typeof MIGRATION_STATES)[number];
export const TERMINAL_STATES: readonly MigrationStateName[] = ['completed', 'failed', 'cancelled', 'rejected'];
export const isTerminalState = (name: string): boolean => (TERMINAL_STATES as readonly string[]).includes(name);

export interface MigrationState {
  id: string;
  guestId: string;
  sourceHostId: string;
  destinationHostId: string;
  policy: ConvergencePolicy;
  backend: 'emulator' | 'qemu' | 'libvirt';
  evacuationId: string | null;
  state: MigrationStateName;
  plan: PlanSnapshot;
  waitingReason: string | null;
  attempts: number;
  cancelRequested: boolean;
  lastProgress: MigrationProgress | null;
  outcome: string | null;
  /** What the completed migration measured (query-migrate at the end). */
  result: Extract<MigrationEvent, { type: 'MigrationCompleted' }>['data'] | null;
}

export type MigrationCommand =
  | { type: 'RequestMigration'; data: Extract<MigrationEvent, { type: 'MigrationRequested' }>['data'] }
  | { type: 'WaitForSlot'; reason: string }
  | { type: 'Replan'; stale: boolean; plan: PlanSnapshot }
  | { type: 'Reject'; reason: string; conflicts: PlanSnapshot['conflicts'] }
  | { type: 'Start'; worker: string }
  | { type: 'RecordProgress'; progress: MigrationProgress }
  | { type: 'AdjustPolicy'; downtimeLimitMs?: number; postcopy?: boolean; reason: string }
  | { type: 'SwitchOver'; mode: 'precopy' | 'postcopy'; elapsedMs: number }
  | { type: 'Complete'; data: Extract<MigrationEvent, { type: 'MigrationCompleted' }>['data'] }
  | { type: 'Fail'; reason: string }
  | { type: 'RequestCancel'; by: string }
  | { type: 'ConfirmCancel'; reason: string };

export const isTerminal = (state: MigrationState) => isTerminalState(state.state);

export function decideMigration(command: MigrationCommand, state: MigrationState | undefined): MigrationEvent[] {
  if (command.type === 'RequestMigration') {
    if (state)
      throw new DomainError(
        'already-exists',
        'MIGRATION_ALREADY_EXISTS',
        `migration ${command.data.migrationId} already exists`,
      );
    return [{ type: 'MigrationRequested', data: command.data }];
  }
  if (!state) throw new DomainError('not-found', 'MIGRATION_NOT_FOUND', 'migration does not exist');
  if (isTerminal(state)) {
    if (command.type === 'RequestCancel')
      throw new DomainError('conflict', 'MIGRATION_FINISHED', `migration ${state.id} is already ${state.state}`);
    return [];
  }
  const pending = state.state === 'requested' || state.state === 'waiting';
  switch (command.type) {
    case 'WaitForSlot':
      return pending && state.waitingReason !== command.reason
        ? [{ type: 'MigrationWaiting', data: { reason: command.reason } }]
        : [];
    case 'Replan':
      return pending ? [{ type: 'MigrationReplanned', data: { stale: command.stale, plan: command.plan } }] : [];
    case 'Reject':
      return pending
        ? [{ type: 'MigrationRejected', data: { reason: command.reason, conflicts: command.conflicts } }]
        : [];
    case 'Start':
      if (!pending)
        throw new DomainError('conflict', 'MIGRATION_NOT_PENDING', `migration ${state.id} is ${state.state}`);
      return [{ type: 'MigrationStarted', data: { attempt: state.attempts + 1, worker: command.worker } }];
    case 'RecordProgress':
      return state.state === 'running' ? [{ type: 'MigrationProgressed', data: command.progress }] : [];
    case 'AdjustPolicy':
      return state.state === 'running'
        ? [
            {
              type: 'MigrationPolicyAdjusted',
              data: { downtimeLimitMs: command.downtimeLimitMs, postcopy: command.postcopy, reason: command.reason },
            },
          ]
        : [];
    case 'SwitchOver':
      return state.state === 'running'
        ? [{ type: 'MigrationSwitchedOver', data: { mode: command.mode, elapsedMs: command.elapsedMs } }]
        : [];
    case 'Complete':
      if (state.state !== 'running')
        throw new DomainError('conflict', 'MIGRATION_NOT_RUNNING', `migration ${state.id} is ${state.state}`);
      return [{ type: 'MigrationCompleted', data: command.data }];
    case 'Fail':
      return [{ type: 'MigrationFailed', data: { reason: command.reason } }];
    case 'RequestCancel':
      // Not started yet: nothing to stop, so it is cancelled at once. Running: the worker stops it.
      if (pending)
        return [{ type: 'MigrationCancelled', data: { reason: `cancelled by ${command.by} before it started` } }];
      return state.cancelRequested ? [] : [{ type: 'MigrationCancelRequested', data: { by: command.by } }];
    case 'ConfirmCancel':
      return [{ type: 'MigrationCancelled', data: { reason: command.reason } }];
  }
}

export function evolveMigration(state: MigrationState | undefined, event: MigrationEvent): MigrationState | undefined {
  if (event.type === 'MigrationRequested') {
    const d = event.data;
    return {
      id: d.migrationId,
      guestId: d.guestId,
      sourceHostId: d.sourceHostId,
      destinationHostId: d.destinationHostId,
      policy: d.policy,
      backend: d.backend,
      evacuationId: d.evacuationId,
      plan: d.plan,
      state: 'requested',
      waitingReason: null,
      attempts: 0,
      cancelRequested: false,
      lastProgress: null,
      outcome: null,
      result: null,
    };
  }
  if (!state) return state;
  switch (event.type) {
    case 'MigrationWaiting':
      return { ...state, state: 'waiting', waitingReason: event.data.reason };
    case 'MigrationReplanned':
      return { ...state, plan: event.data.plan };
    case 'MigrationRejected':
      return { ...state, state: 'rejected', outcome: event.data.reason };
    case 'MigrationStarted':
      return { ...state, state: 'running', waitingReason: null, attempts: event.data.attempt };
    case 'MigrationProgressed':
      return { ...state, lastProgress: event.data };
    case 'MigrationPolicyAdjusted':
      return state;
    case 'MigrationSwitchedOver':
      return state;
    case 'MigrationCompleted':
      return {
        ...state,
        state: 'completed',
        outcome: `completed in ${event.data.totalTimeMs} ms, downtime ${event.data.downtimeMs} ms`,
        result: event.data,
      };
    case 'MigrationFailed':
      return { ...state, state: 'failed', outcome: event.data.reason };
    case 'MigrationCancelRequested':
      return { ...state, cancelRequested: true };
    case 'MigrationCancelled':
      return { ...state, state: 'cancelled', outcome: event.data.reason };
    default:
      return exhaustive(event);
  }
}

function exhaustive(event: never): never {
  throw new Error(`unhandled migration event ${(event as { type: string }).type}`);
}
