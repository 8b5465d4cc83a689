import { describe, expect, it } from 'vitest';
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
const given = (...events: MigrationEvent[]) => events.reduce<MigrationState | undefined>(evolveMigration, undefined);
const when = (state: MigrationState | undefined, command: MigrationCommand) => decideMigration(command, state);
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
  it('starts a requested migration as attempt 1, and a second start of a running one is refused', () => {
    const started = when(given(requested), { type: 'Start', worker: 'w1' });
    expect(started).toEqual([{ type: 'MigrationStarted', data: { attempt: 1, worker: 'w1' } }]);
    expect(() => when(given(requested, ...started), { type: 'Start', worker: 'w2' })).toThrow(/is running/);
  });

  it('records a new waiting reason once, not on every retry', () => {
    const waiting = given(requested, {
      type: 'MigrationWaiting',
      data: { reason: 'waiting for an outbound slot on a (limit 2)' },
    });
    expect(when(waiting, { type: 'WaitForSlot', reason: 'waiting for an outbound slot on a (limit 2)' })).toEqual([]);
    expect(
      when(waiting, { type: 'WaitForSlot', reason: 'waiting for a fleet-wide migration slot (limit 5)' }),
    ).toHaveLength(1);
  });

  it('cancels a pending migration at once, but only asks a running one to stop', () => {
    expect(when(given(requested), { type: 'RequestCancel', by: 'ops' })[0]!.type).toBe('MigrationCancelled');
    const running = given(requested, { type: 'MigrationStarted', data: { attempt: 1, worker: 'w' } });
    expect(when(running, { type: 'RequestCancel', by: 'ops' })).toEqual([
      { type: 'MigrationCancelRequested', data: { by: 'ops' } },
    ]);
  });

  it('ignores late progress after a terminal event and refuses to cancel a finished migration', () => {
    const done = given(
      requested,
      { type: 'MigrationStarted', data: { attempt: 1, worker: 'w' } },
      { type: 'MigrationFailed', data: { reason: 'x' } },
    );
    expect(when(done, { type: 'RecordProgress', progress })).toEqual([]);
    expect(() => when(done, { type: 'RequestCancel', by: 'ops' })).toThrow(/already failed/);
  });

  it('only completes a running migration', () => {
    const data = { totalTimeMs: 1, downtimeMs: 1, transferredBytes: '0x1', iterations: 1, mode: 'precopy' as const };
    expect(() => when(given(requested), { type: 'Complete', data })).toThrow(/requested/);
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
