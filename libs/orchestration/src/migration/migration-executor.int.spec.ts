// MigrationExecutor against a real event store (SQLite in memory: the real dialect, no disk) and the
// in-memory slot limiter on a fake clock: what a job does with a lapsed lease, a stale plan, a full slot.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEventStore, type OpenedStore } from '@ferry/event-store';
import { InMemorySlotLimiter } from '@ferry/jobs';
import { DEFAULT_POLICY } from './convergence-policy.js';
import type { MigrationEvent, PlanSnapshot } from './migration-events.js';
import { MigrationExecutor, type MigrationExecutorPorts } from './migration-executor.js';
import { MigrationRepository } from './migration-repository.js';

const LEASE_MS = 1_000;
const slot = { id: 'm-1', source: 'a', destination: 'b' };
const requested = (inputs: Record<string, number>): MigrationEvent => ({
  type: 'MigrationRequested',
  data: {
    migrationId: 'm-1',
    guestId: 'vm-1',
    sourceHostId: 'a',
    destinationHostId: 'b',
    policy: DEFAULT_POLICY,
    backend: 'emulator',
    plan: { verdict: 'ok', conflicts: [], inputs },
    evacuationId: null,
  },
});

describe('MigrationExecutor', () => {
  let opened: OpenedStore;
  let now: number;
  let limiter: InMemorySlotLimiter;
  let migrations: MigrationRepository;
  const executor = (ports: Partial<MigrationExecutorPorts> = {}) =>
    new MigrationExecutor({
      store: opened.store,
      limiter,
      backends: { emulator: undefined, qemu: undefined },
      replan: () => Promise.reject(new Error('not replanned in this test')),
      inputVersions: async (m) => ({ ...m.plan.inputs }),
      workerId: 'w-2',
      linkBandwidth: 1.25e9,
      ...ports,
    });
  const record = (...events: MigrationEvent[]) => opened.store.append('migration-m-1', events);
  const stateOf = async () => (await migrations.load('m-1')).state!;

  beforeEach(async () => {
    opened = await openEventStore({ sqlitePath: ':memory:' });
    now = 0;
    limiter = new InMemorySlotLimiter({ outboundPerHost: 1, inboundPerHost: 1, fleet: 5 }, LEASE_MS, () => now);
    migrations = new MigrationRepository(opened.store);
  });
  afterEach(async () => {
    await opened.close();
  });

  it('leaves a running migration alone while its worker still renews the lease', async () => {
    await record(requested({}), { type: 'MigrationStarted', data: { attempt: 1, worker: 'w-1' } });
    await limiter.tryAcquire(slot); // worker w-1's lease
    now = LEASE_MS / 2;
    expect(await executor({ leaseCheckMs: 250 }).run('m-1')).toEqual({ kind: 'later', delayMs: 250 });
    expect((await stateOf()).state).toBe('running');
  });

  it('records a running migration whose lease lapsed as interrupted: its worker died, the guest stayed', async () => {
    await record(requested({}), { type: 'MigrationStarted', data: { attempt: 1, worker: 'w-1' } });
    await limiter.tryAcquire(slot);
    now = LEASE_MS + 1;
    expect(await executor().run('m-1')).toEqual({ kind: 'done' });
    const state = await stateOf();
    expect(state.state).toBe('failed');
    expect(state.outcome).toBe(
      'interrupted: the worker running attempt 1 stopped before the migration finished; the guest is still on a',
    );
  });

  it('re-plans a stale plan and rejects the migration when the facts now block it', async () => {
    await record(requested({ 'host-b': 3 }));
    const blocked: PlanSnapshot = {
      verdict: 'blocked',
      conflicts: [{ code: 'MSI_WINDOW_OVERLAPS_GUEST_RAM', severity: 'error', message: 'overlap' }],
      inputs: { 'host-b': 4 },
    };
    const run = await executor({ inputVersions: async () => ({ 'host-b': 4 }), replan: async () => blocked }).run(
      'm-1',
    );
    expect(run).toEqual({ kind: 'done' });
    const state = await stateOf();
    expect(state.state).toBe('rejected');
    expect(state.outcome).toMatch(
      /facts changed since planning and the migration is now blocked: MSI_WINDOW_OVERLAPS_GUEST_RAM/,
    );
    expect(await limiter.holds(slot)).toBe(false);
  });

  it('does not re-plan a plan whose inputs have not moved; waits, with the reason, while the slots are taken', async () => {
    await record(requested({ 'host-b': 3 }));
    await limiter.tryAcquire({ id: 'other', source: 'a', destination: 'c' });
    const run = await executor({ inputVersions: async () => ({ 'host-b': 3 }), slotRetryMs: 100 }).run('m-1');
    expect(run).toEqual({ kind: 'later', delayMs: 100 });
    const state = await stateOf();
    expect(state.state).toBe('waiting');
    expect(state.waitingReason).toBe('waiting for an outbound slot on a (limit 1)');
  });

  it('does nothing for a migration that already ended', async () => {
    await record(requested({}), { type: 'MigrationCancelled', data: { reason: 'ops' } });
    expect(await executor().run('m-1')).toEqual({ kind: 'done' });
    expect((await stateOf()).state).toBe('cancelled');
  });
});
