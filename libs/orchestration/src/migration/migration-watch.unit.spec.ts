// MigrationWatch on the emulator (virtual time: deterministic and fast) with an in-memory recorder:
// what it records, when it raises the downtime limit, how it honours a cancel and the completion timeout.
import { describe, expect, it } from 'vitest';
import { decideGuest, evolveGuest, guestSchema, type GuestInput, type GuestState } from '@ferry/domain';
import { startSimulatedMigration } from '@ferry/emulator';
import { effectivePolicy, type ConvergencePolicyInput } from './convergence-policy.js';
import type { MigrationState } from './migration-decider.js';
import type { MigrationProgress } from './migration-events.js';
import { migrationSpecFor, seedOf } from './emulator-spec.js';
import { MigrationWatch, type MigrationRecorder } from './migration-watch.js';

const LINK = 1.25e9;

function guestWith(migration: GuestInput['migration']): GuestState {
  const guest = guestSchema.parse({
    id: 'vm-1',
    host: 'a',
    machine: 'virt-8.2',
    cpuVendor: 'arm',
    memory: { ram: '4GiB' },
    migration,
  } satisfies GuestInput);
  return decideGuest({ type: 'DefineGuest', guest }, undefined).reduce(evolveGuest, undefined)!;
}

function migrationOf(policy: ConvergencePolicyInput): MigrationState {
  return {
    id: 'm-1',
    guestId: 'vm-1',
    sourceHostId: 'a',
    destinationHostId: 'b',
    policy: effectivePolicy(undefined, policy),
    backend: 'emulator',
    evacuationId: null,
    state: 'running',
    plan: { verdict: 'ok', conflicts: [], inputs: {} },
    waitingReason: null,
    attempts: 1,
    cancelRequested: false,
    lastProgress: null,
    outcome: null,
    result: null,
  };
}

/** Records in memory; `cancelAfter` progress records, the stored state says an operator asked to cancel. */
class MemoryRecorder implements MigrationRecorder {
  readonly progress: MigrationProgress[] = [];
  readonly adjustments: Array<{ downtimeLimitMs?: number; postcopy?: boolean; reason: string }> = [];
  constructor(private readonly cancelAfter = Infinity) {}
  async recordProgress(state: MigrationState, progress: MigrationProgress): Promise<MigrationState> {
    this.progress.push(progress);
    return { ...state, lastProgress: progress, cancelRequested: this.progress.length >= this.cancelAfter };
  }
  async adjust(_state: MigrationState, change: { downtimeLimitMs?: number; postcopy?: boolean; reason: string }) {
    this.adjustments.push(change);
  }
  async cancelRequested(): Promise<boolean> {
    return false;
  }
}

function watch(guest: GuestState, state: MigrationState, recorder: MigrationRecorder) {
  const spec = migrationSpecFor(guest, state.policy, { linkBandwidth: LINK, seed: seedOf(state.id), hasVfio: false });
  const handle = startSimulatedMigration(spec, { sliceMs: 1000 });
  return new MigrationWatch(recorder, state, handle, guest, false);
}

describe('MigrationWatch', () => {
  it('records progress at each dirty sync and ends with what the emulator measured', async () => {
    const recorder = new MemoryRecorder();
    const w = watch(guestWith({ dirtyRate: '2000/s', workingSet: '256MiB' }), migrationOf({}), recorder);
    const result = await w.follow();
    expect(result.status).toBe('completed');
    expect(recorder.progress.length).toBeGreaterThan(0);
    const iterations = recorder.progress.map((p) => p.iteration);
    expect(iterations.every((n, i) => i === 0 || n >= iterations[i - 1]!)).toBe(true);
    expect(w.failure).toBeUndefined();
  });

  it('cancels at the next sync once the stored state says an operator asked', async () => {
    const recorder = new MemoryRecorder(1);
    const w = watch(
      guestWith({ dirtyRate: '200000/s', workingSet: '2GiB' }),
      migrationOf({ maxBandwidth: '256MiB' }),
      recorder,
    );
    const result = await w.follow();
    expect(result.status).toBe('cancelled');
    expect(w.cancelReason).toBe('cancelled by operator request');
    expect(w.failure).toBeUndefined();
  });

  it('raises the downtime limit after the scheduled number of stalled iterations', async () => {
    const recorder = new MemoryRecorder();
    const policy = {
      maxBandwidth: '256MiB',
      autoConverge: false,
      downtimeSchedule: [{ afterStalledIterations: 2, downtimeLimitMs: 20000 }],
      completionTimeoutPerGiB: 1000,
    };
    const w = watch(guestWith({ dirtyRate: '200000/s', workingSet: '2GiB' }), migrationOf(policy), recorder);
    const result = await w.follow();
    expect(recorder.adjustments).toEqual([{ downtimeLimitMs: 20000, reason: '2 stalled iterations' }]);
    expect(result.status).toBe('completed');
  });

  it('aborts at the completion timeout and says why; the guest stays on its source', async () => {
    const recorder = new MemoryRecorder();
    const policy = {
      maxBandwidth: '256MiB',
      autoConverge: false,
      completionTimeoutPerGiB: 10,
      onTimeout: 'abort' as const,
    };
    const w = watch(guestWith({ dirtyRate: '200000/s', workingSet: '2GiB' }), migrationOf(policy), recorder);
    const result = await w.follow();
    expect(result.status).toBe('cancelled');
    expect(w.failure).toBe('did not converge within 40 s (10 s per GiB); the guest stays on a');
  });

  it('switches to post-copy at the completion timeout when the policy says so', async () => {
    const recorder = new MemoryRecorder();
    const policy = {
      maxBandwidth: '256MiB',
      autoConverge: false,
      completionTimeoutPerGiB: 10,
      onTimeout: 'postcopy' as const,
    };
    const w = watch(guestWith({ dirtyRate: '200000/s', workingSet: '2GiB' }), migrationOf(policy), recorder);
    const result = await w.follow();
    expect(recorder.adjustments).toEqual([
      { postcopy: true, reason: 'not converged after 40 s: switching to post-copy' },
    ]);
    expect(result.status).toBe('completed');
    expect(w.failure).toBeUndefined();
  });
});
