// The plan replays the scheduler on a fluid model: exact on cases with a closed form.
import { describe, expect, it } from 'vitest';
import { needOf, type MoveToSchedule, type SharedLink } from './evacuation-scheduler.js';
import { scheduleEvacuation } from './evacuation-plan.js';

const LINK: SharedLink = { bandwidth: 10, perStreamCap: 4, maxConcurrent: 4 };
const GiB = 2 ** 30;
const move = (id: string, ramGiB: number, dirty = 0): MoveToSchedule => ({
  id,
  ramBytes: ramGiB * GiB,
  dirtyBytesPerSecond: dirty,
});

describe('planning an evacuation', () => {
  it('moves a lone idle guest on one stream: RAM ÷ stream', () => {
    const plan = scheduleEvacuation([move('a', 8)], LINK);
    expect(plan.order).toEqual(['a']);
    expect(plan.maxConcurrent).toBe(1);
    expect(plan.estimatedMakespanS).toBeCloseTo((8 * GiB) / 4, 6);
    expect(plan.lowerBoundS).toBeCloseTo((8 * GiB) / 10, 6);
  });

  it('runs three equal idle guests at 4 + 4 + 2, then the third alone at 4: 3R/8 against a bound of 3R/10', () => {
    const plan = scheduleEvacuation([move('a', 8), move('b', 8), move('c', 8)], LINK);
    expect(plan.maxConcurrent).toBe(3);
    expect(plan.moves.map((m) => m.bandwidthPlan.map((s) => s.bytesPerSecond))).toEqual([[4], [4], [2, 4]]);
    expect(plan.estimatedMakespanS).toBeCloseTo((3 * 8 * GiB) / 8, 6);
  });

  it('never gives a heavy guest less than a whole stream, never exceeds the link or the slot limit, and starts the longest first', () => {
    const moves = [
      move('h1', 16, 2.5),
      move('h2', 8, 3),
      move('m', 32, 1),
      ...Array.from({ length: 8 }, (_, i) => move(`i${i}`, 2 + i * 2)),
    ];
    const plan = scheduleEvacuation(moves, LINK);
    expect(new Set(plan.order)).toEqual(new Set(moves.map((m) => m.id)));
    expect(plan.order[0]).toBe('m');
    expect(plan.maxConcurrent).toBeLessThanOrEqual(LINK.maxConcurrent);
    for (const planned of plan.moves) {
      const m = moves.find((x) => x.id === planned.id)!;
      for (const step of planned.bandwidthPlan)
        expect(step.bytesPerSecond).toBeGreaterThanOrEqual(needOf(m, LINK) - 1e-9);
      expect(planned.heavy).toBe(m.id.startsWith('h'));
      expect(planned.maxBandwidth).toBe(4);
    }
    // At every planned start, the shares in force sum to at most the link.
    for (const t of plan.moves.map((m) => m.startS)) {
      const inForce = plan.moves
        .filter((m) => m.startS <= t && t < m.endS)
        .map((m) => m.bandwidthPlan.filter((s) => s.fromS <= t).at(-1)!.bytesPerSecond);
      expect(inForce.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10 + 1e-9);
    }
    expect(plan.estimatedMakespanS).toBeGreaterThan(plan.lowerBoundS);
  });

  it('refuses duplicate ids and a link without capacity', () => {
    expect(() => scheduleEvacuation([move('a', 1), move('a', 2)], LINK)).toThrow(/unique/);
    expect(() => scheduleEvacuation([move('a', 1)], { ...LINK, maxConcurrent: 0 })).toThrow(/slot limit/);
  });
});
