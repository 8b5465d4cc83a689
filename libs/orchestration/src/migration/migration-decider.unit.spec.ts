import { describe, expect, it } from 'vitest';
import { DomainError } from '@ferry/domain';
import { deciderSpecification } from '../../../../test/support/decider-specification.js';
import { DEFAULT_POLICY, downtimeLimitAfter, effectivePolicy } from './convergence-policy.js';
import { decideMigration, evolveMigration, type MigrationCommand, type MigrationState } from './migration-decider.js';
import type { MigrationEvent } from './migration-events.js';

const requested: MigrationEvent = {
  type: 'MigrationRequested',
  data: {
    migrationId: 'm1',
    guestId: 'vm-1',
    sourceHostId: 'a',
    destinationHostId: 'b',
    policy: DEFAULT_POLICY,
    backend: 'emulator',
    plan: { verdict: 'ok', conflicts: [], inputs: { 'guest-vm-1': 3 } },
    evacuationId: null,
  },
};
const given = deciderSpecification<MigrationCommand, MigrationEvent, MigrationState | undefined>({
  decide: decideMigration,
  evolve: evolveMigration,
  initialState: undefined,
});
const progress = {
  iteration: 1,
  status: 'active',
  elapsedMs: 100,
  transferredBytes: '0x1',
  remainingBytes: '0x2',
  totalBytes: '0x3',
  dirtyPagesRate: 0,
  expectedDowntimeMs: 1,
  downtimeLimitMs: 300,
  cpuThrottlePercentage: 0,
  mbps: 1,
};

describe('migration lifecycle', () => {
  const started: MigrationEvent = { type: 'MigrationStarted', data: { attempt: 1, worker: 'w1' } };

  it('starts a requested migration as attempt 1', () => {
    given(requested).when({ type: 'Start', worker: 'w1' }).then([started]);
  });

  it('refuses a second start of a running migration', () => {
    given(requested, started)
      .when({ type: 'Start', worker: 'w2' })
      .thenThrows(DomainError, /is running/);
  });

  it('records a new waiting reason once, not on every retry', () => {
    const waiting: MigrationEvent = {
      type: 'MigrationWaiting',
      data: { reason: 'waiting for an outbound slot on a (limit 2)' },
    };
    given(requested, waiting).when({ type: 'WaitForSlot', reason: waiting.data.reason }).then([]);
    given(requested, waiting)
      .when({ type: 'WaitForSlot', reason: 'waiting for a fleet-wide migration slot (limit 5)' })
      .thenTypes(['MigrationWaiting']);
  });

  it('cancels a pending migration at once', () => {
    given(requested).when({ type: 'RequestCancel', by: 'ops' }).thenTypes(['MigrationCancelled']);
  });

  it('only asks a running migration to stop', () => {
    given(requested, started)
      .when({ type: 'RequestCancel', by: 'ops' })
      .then([{ type: 'MigrationCancelRequested', data: { by: 'ops' } }]);
  });

  it('ignores late progress after a terminal event', () => {
    const failed: MigrationEvent = { type: 'MigrationFailed', data: { reason: 'x' } };
    given(requested, started, failed).when({ type: 'RecordProgress', progress }).then([]);
  });

  it('refuses to cancel a finished migration', () => {
    const failed: MigrationEvent = { type: 'MigrationFailed', data: { reason: 'x' } };
    given(requested, started, failed)
      .when({ type: 'RequestCancel', by: 'ops' })
      .thenThrows(DomainError, /already failed/);
  });

  it('only completes a running migration', () => {
    const data = { totalTimeMs: 1, downtimeMs: 1, transferredBytes: '0x1', iterations: 1, mode: 'precopy' as const };
    given(requested)
      .when({ type: 'Complete', data })
      .thenThrows(DomainError, /requested/);
  });
});

describe('convergence policy', () => {
  it('raises the downtime limit stepwise after stalled iterations', () => {
    const policy = effectivePolicy(undefined, {
      downtimeLimitMs: 300,
      downtimeSchedule: [
        { afterStalledIterations: 2, downtimeLimitMs: 600 },
        { afterStalledIterations: 4, downtimeLimitMs: 1200 },
      ],
    });
    expect([0, 1, 2, 3, 4, 9].map((n) => downtimeLimitAfter(policy, n))).toEqual([300, 300, 600, 600, 1200, 1200]);
  });

  it('lets a migration override its pool, and the pool override QEMU defaults', () => {
    const policy = effectivePolicy({ maxBandwidth: '1GiB', autoConverge: false }, { autoConverge: true });
    expect(policy).toMatchObject({ maxBandwidth: 1024 ** 3, autoConverge: true, downtimeLimitMs: 300 });
  });
});
