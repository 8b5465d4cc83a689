// Emulated migrations on one link, small guests so each run takes milliseconds.
import { describe, expect, it } from 'vitest';
import { GiB, type MigrationSpec } from '@ferry/emulator';
import type { SharedLink } from './evacuation-scheduler.js';
import { scheduleEvacuation } from './evacuation-plan.js';
import {
  ferryPolicy,
  fixedParallelPolicy,
  serialPolicy,
  simulateSharedLink,
  staticPlanPolicy,
  type LinkPolicy,
  type SharedLinkRun,
  type SimulatedMove,
} from './shared-link-simulator.js';

const GBIT = 1e9 / 8;
const LINK: SharedLink = { bandwidth: 10 * GBIT, perStreamCap: 4 * GBIT, maxConcurrent: 4 };

function guest(id: string, gib: bigint, pagesPerSecond = 0, extra: Partial<MigrationSpec> = {}): SimulatedMove {
  return {
    id,
    ramBytes: Number(gib * GiB),
    dirtyBytesPerSecond: pagesPerSecond * 4096,
    spec: {
      ramBlocks: [{ name: 'ram', gpa: 0n, size: gib * GiB }],
      initialContent: 'filled',
      workload:
        pagesPerSecond === 0
          ? { kind: 'idle' }
          : { kind: 'hot-set', pagesPerSecond, hotBytes: (gib * GiB) / 8n, hotFraction: 0.9, seed: 1 },
      parameters: { downtimeLimitMs: 300, autoConverge: { enabled: true }, multifdChannels: 0 },
      limits: { maxIterations: 1000, timeoutMs: 600_000 },
      ...extra,
    },
  };
}

const overlaps = (run: SharedLinkRun) =>
  Math.max(...run.moves.map((m) => run.moves.filter((o) => o.startMs <= m.startMs && m.startMs < o.endMs).length));
const sent = (run: SharedLinkRun) => Number(run.moves.reduce((s, m) => s + m.transferredBytes, 0n));
const three = () => [guest('a', 2n), guest('b', 2n), guest('c', 2n)];

describe('migrations sharing one link', () => {
  it('serial runs one at a time, each at one stream: three 2 GiB guests take 3 × 2 GiB ÷ 4 Gbit/s', () => {
    const run = simulateSharedLink(three(), LINK, serialPolicy());
    expect(overlaps(run)).toBe(1);
    expect(run.peakConcurrent).toBe(1);
    expect(run.moves.every((m) => m.converged)).toBe(true);
    expect(run.makespanMs / 1000).toBeCloseTo((3 * 2 * 2 ** 30 * (4104 / 4096)) / (4 * GBIT), 0);
  });

  it('fixed-2 never runs more than two, and two streams cannot fill the link', () => {
    const run = simulateSharedLink(three(), LINK, fixedParallelPolicy(2));
    expect(run.peakConcurrent).toBe(2);
    expect(overlaps(run)).toBe(2);
    expect(sent(run) / (run.makespanMs / 1000)).toBeLessThan(8 * GBIT);
  });

  it('ferry fills the link with a third stream and beats both, every migration converging', () => {
    const serial = simulateSharedLink(three(), LINK, serialPolicy());
    const fixed = simulateSharedLink(three(), LINK, fixedParallelPolicy(2));
    const ferry = simulateSharedLink(three(), LINK, ferryPolicy());
    expect(ferry.peakConcurrent).toBe(3);
    expect(ferry.makespanMs).toBeLessThan(fixed.makespanMs);
    expect(fixed.makespanMs).toBeLessThan(serial.makespanMs);
    expect(ferry.moves.every((m) => m.converged)).toBe(true);
    // The link is never over-sold: bytes moved ≤ link × time (the final stop-and-copy aside).
    expect(sent(ferry) / (ferry.makespanMs / 1000)).toBeLessThanOrEqual(10 * GBIT);
  });

  it('runs a static plan the way the job queue would: in its order, on its slots', () => {
    const moves = [guest('small', 1n), guest('big', 4n), guest('mid', 2n)];
    const plan = scheduleEvacuation(moves, { ...LINK, maxConcurrent: 2 });
    const run = simulateSharedLink(moves, LINK, staticPlanPolicy(plan));
    expect(plan.order).toEqual(['big', 'mid', 'small']);
    expect(run.peakConcurrent).toBe(2);
    const start = Object.fromEntries(run.moves.map((m) => [m.id, m.startMs]));
    expect(start.big).toBe(0);
    expect(start.mid).toBe(0);
    const midEnd = run.moves.find((m) => m.id === 'mid')!.endMs; // the first slot to free, at the next 10 ms tick
    expect(start.small! - midEnd).toBeGreaterThanOrEqual(0);
    expect(start.small! - midEnd).toBeLessThan(10);
  });

  it('aborts a migration that hits its time limit and reports it as not converged; near miss: a longer limit converges', () => {
    const hot = (timeoutMs: number) => [
      guest('hot', 1n, 120_000, {
        parameters: { autoConverge: { enabled: false } },
        limits: { maxIterations: 1000, timeoutMs },
      }),
    ];
    const slow = simulateSharedLink(hot(5_000), { ...LINK, perStreamCap: 2 * GBIT }, serialPolicy());
    expect(slow.moves[0]).toMatchObject({ id: 'hot', converged: false, status: 'cancelled' });
    const fast = simulateSharedLink(hot(600_000), LINK, serialPolicy());
    expect(fast.moves[0]).toMatchObject({ converged: true, status: 'completed' });
  });

  it('refuses a policy that starts what is not waiting, or starts nothing at all', () => {
    const rogue: LinkPolicy = { name: 'rogue', control: () => ({ admit: ['nope'], shares: new Map() }) };
    expect(() => simulateSharedLink(three(), LINK, rogue)).toThrow(/not waiting/);
    const lazy: LinkPolicy = { name: 'lazy', control: () => ({ admit: [], shares: new Map() }) };
    expect(() => simulateSharedLink(three(), LINK, lazy)).toThrow(/started nothing/);
  });
});
