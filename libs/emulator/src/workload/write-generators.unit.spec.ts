import { describe, expect, it } from 'vitest';
import { GiB, MiB } from '../units.js';
import { createWorkload } from './create-workload.js';
import { hitProbability } from './write-generators.js';

describe('write generators', () => {
  it('turns N uniform writes into the chance that a page was hit: 1 − (1 − 1/W)^N', () => {
    expect(hitProbability(1000, 1000)).toBeCloseTo(1 - Math.pow(1 - 1 / 1000, 1000), 12);
    expect(hitProbability(0, 1000)).toBe(0);
    expect(hitProbability(5, 1)).toBe(1);
  });

  it('keeps that chance exact however the writes are split between drains', () => {
    const whole = createWorkload({ kind: 'uniform', pagesPerSecond: 2000 }, 4096);
    whole.advance(1000);
    const [once] = whole.drain();
    const split = createWorkload({ kind: 'uniform', pagesPerSecond: 2000 }, 4096);
    split.advance(400);
    const [first] = split.drain();
    split.advance(600);
    const [second] = split.drain();
    const p = (b: typeof once) => (b && b.kind === 'random' ? b.probability : NaN);
    expect(1 - (1 - p(first)) * (1 - p(second))).toBeCloseTo(p(once), 12);
  });

  it('sweeps pages in order and wraps around the region', () => {
    const sweep = createWorkload(
      { kind: 'sweep', pagesPerSecond: 100, region: { offsetBytes: 4096n * 10n, sizeBytes: 4096n * 150n } },
      1000,
    );
    sweep.advance(1000);
    expect(sweep.drain()).toEqual([{ kind: 'range', start: 10, end: 110 }]);
    sweep.advance(1000);
    expect(sweep.drain()).toEqual([
      { kind: 'range', start: 110, end: 160 },
      { kind: 'range', start: 10, end: 60 },
    ]);
  });

  it('starts a sweep at its phase (startOffsetBytes) and wraps from there', () => {
    const region = { offsetBytes: 4096n * 10n, sizeBytes: 4096n * 150n };
    const sweep = createWorkload({ kind: 'sweep', pagesPerSecond: 100, region, startOffsetBytes: 4096n * 120n }, 1000);
    sweep.advance(500);
    expect(sweep.drain()).toEqual([
      { kind: 'range', start: 130, end: 160 },
      { kind: 'range', start: 10, end: 30 },
    ]);
    expect(() =>
      createWorkload({ kind: 'sweep', pagesPerSecond: 1, region, startOffsetBytes: 4096n * 150n }, 1000),
    ).toThrow(/startOffsetBytes/);
  });

  it('fills a region once and then stops writing', () => {
    const fill = createWorkload({ kind: 'fill-once', pagesPerSecond: 100 }, 150);
    fill.advance(1000);
    fill.drain();
    fill.advance(10_000);
    expect(fill.drain()).toEqual([{ kind: 'range', start: 100, end: 150 }]);
    fill.advance(10_000);
    expect(fill.drain()).toEqual([]);
  });

  it('sends a hot-set workload mostly to its hot pages', () => {
    const pages = Number(GiB / 4096n);
    const hot = createWorkload(
      { kind: 'hot-set', pagesPerSecond: 10_000, hotBytes: 64n * MiB, hotFraction: 0.9 },
      pages,
    );
    hot.advance(1000);
    const [hotBatch, coldBatch] = hot.drain();
    expect(hotBatch).toMatchObject({ kind: 'random', start: 0, end: 16384, probability: hitProbability(9000, 16384) });
    expect(coldBatch).toMatchObject({ kind: 'random', start: 0, end: pages, probability: hitProbability(1000, pages) });
  });

  it('runs phases for their guest-time durations, then idles', () => {
    const phases = createWorkload(
      {
        kind: 'phases',
        phases: [
          { durationMs: 500, pattern: { kind: 'idle' } },
          { durationMs: 1000, pattern: { kind: 'sweep', pagesPerSecond: 100 } },
        ],
      },
      1000,
    );
    phases.advance(1000); // 500 ms idle + 500 ms of sweep
    expect(phases.drain()).toEqual([{ kind: 'range', start: 0, end: 50 }]);
    phases.advance(5000); // 500 ms more sweep, then nothing
    expect(phases.drain()).toEqual([{ kind: 'range', start: 50, end: 100 }]);
  });
});
