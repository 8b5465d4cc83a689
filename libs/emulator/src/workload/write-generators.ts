// Write generators accumulate writes over guest time and hand them out in batches. Random
// patterns never enumerate individual writes: N uniform writes over W pages hit each page with
// probability 1 − (1 − 1/W)^N, so a batch is one probability per range, applied in bulk by the
// memory model. The probability is exact however the writes are split between flushes, since
// (1 − 1/W)^a · (1 − 1/W)^b = (1 − 1/W)^(a+b).
import type { WriteBatch } from './write-batch.js';

export interface WriteGenerator {
  /** Lets the guest run for `guestMs` milliseconds of vCPU time. */
  advance(guestMs: number): void;
  /** Writes made since the previous drain. */
  drain(): WriteBatch[];
}

export interface PageRange {
  start: number;
  end: number;
}

export class IdleWrites implements WriteGenerator {
  advance(): void {}
  drain(): WriteBatch[] {
    return [];
  }
}

/** Probability that a given page of `pages` was hit by `writes` uniform writes. */
export function hitProbability(writes: number, pages: number): number {
  if (writes <= 0 || pages <= 0) return 0;
  if (pages === 1) return 1;
  return -Math.expm1(writes * Math.log1p(-1 / pages));
}

export class UniformWrites implements WriteGenerator {
  private writes = 0;

  constructor(
    private readonly pagesPerSecond: number,
    private readonly range: PageRange,
  ) {}

  advance(guestMs: number): void {
    this.writes += (this.pagesPerSecond * guestMs) / 1000;
  }

  drain(): WriteBatch[] {
    const { start, end } = this.range;
    const probability = hitProbability(this.writes, end - start);
    this.writes = 0;
    return probability > 0 ? [{ kind: 'random', start, end, probability }] : [];
  }
}

export class HotSetWrites implements WriteGenerator {
  private writes = 0;

  constructor(
    private readonly pagesPerSecond: number,
    private readonly hotFraction: number,
    private readonly hot: PageRange,
    private readonly whole: PageRange,
  ) {}

  advance(guestMs: number): void {
    this.writes += (this.pagesPerSecond * guestMs) / 1000;
  }

  drain(): WriteBatch[] {
    const hotWrites = this.writes * this.hotFraction;
    const coldWrites = this.writes - hotWrites;
    this.writes = 0;
    const batches: WriteBatch[] = [];
    const pHot = hitProbability(hotWrites, this.hot.end - this.hot.start);
    if (pHot > 0) batches.push({ kind: 'random', ...this.hot, probability: pHot });
    const pCold = hitProbability(coldWrites, this.whole.end - this.whole.start);
    if (pCold > 0) batches.push({ kind: 'random', ...this.whole, probability: pCold });
    return batches;
  }
}

/**
 * Sequential writes; `wrap` false makes it a one-time fill. A sweep may start `startPage` pages
 * into its region (its phase when the migration starts); a fill always starts at the beginning.
 */
export class SequentialWrites implements WriteGenerator {
  /** Pages written so far plus the start page, counting laps (a page counts once fully passed). */
  private position: number;
  private drained: number;
  private readonly endPosition: number;

  constructor(
    private readonly pagesPerSecond: number,
    private readonly range: PageRange,
    private readonly wrap: boolean,
    startPage = 0,
  ) {
    this.position = startPage;
    this.drained = startPage;
    this.endPosition = range.end - range.start;
  }

  advance(guestMs: number): void {
    this.position += (this.pagesPerSecond * guestMs) / 1000;
    if (!this.wrap && this.position > this.endPosition) this.position = this.endPosition;
  }

  drain(): WriteBatch[] {
    const size = this.range.end - this.range.start;
    const from = this.drained;
    const to = Math.floor(this.position);
    this.drained = to;
    if (to <= from || size <= 0) return [];
    if (to - from >= size) return [{ kind: 'range', ...this.range }];
    const a = from % size;
    const b = to % size;
    const base = this.range.start;
    if (a < b) return [{ kind: 'range', start: base + a, end: base + b }];
    const batches: WriteBatch[] = [{ kind: 'range', start: base + a, end: this.range.end }];
    if (b > 0) batches.push({ kind: 'range', start: base, end: base + b });
    return batches;
  }
}

/** Runs generators in turn for fixed guest-time durations. */
export class PhasedWrites implements WriteGenerator {
  private phaseIndex = 0;
  private phaseElapsed = 0;

  constructor(
    private readonly phases: readonly { durationMs: number; generator: WriteGenerator }[],
    private readonly repeat: boolean,
  ) {}

  advance(guestMs: number): void {
    let left = guestMs;
    while (left > 0 && this.phaseIndex < this.phases.length) {
      const phase = this.phases[this.phaseIndex]!;
      const step = Math.min(left, phase.durationMs - this.phaseElapsed);
      phase.generator.advance(step);
      this.phaseElapsed += step;
      left -= step;
      if (this.phaseElapsed >= phase.durationMs) {
        this.phaseElapsed = 0;
        this.phaseIndex++;
        if (this.phaseIndex === this.phases.length && this.repeat) this.phaseIndex = 0;
      }
    }
  }

  drain(): WriteBatch[] {
    return this.phases.flatMap((phase) => phase.generator.drain());
  }
}
