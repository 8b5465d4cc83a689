import { describe, expect, it } from 'vitest';
import { Prng } from '../prng.js';
import { forEachBernoulliMask } from './bernoulli.js';
import { PageBitmap, popcount32 } from './page-bitmap.js';

describe('PageBitmap', () => {
  it('counts bits per word like a population count', () => {
    expect([0, 1, 0xff, 0x80000000, 0xffffffff, 0x55555555].map(popcount32)).toEqual([0, 1, 8, 1, 32, 16]);
  });

  it('sets and counts ranges that straddle word boundaries exactly', () => {
    const bitmap = new PageBitmap(100);
    expect(bitmap.setRange(30, 70)).toBe(40);
    expect(bitmap.setRange(60, 80)).toBe(10); // only 70..79 are new
    expect(bitmap.count()).toBe(50);
    expect(bitmap.countRange(0, 31)).toBe(1);
    expect(bitmap.get(29)).toBe(false);
    expect(bitmap.get(79)).toBe(true);
    expect(bitmap.get(80)).toBe(false);
  });

  it('never sets bits past the last page of a partial last word', () => {
    const bitmap = new PageBitmap(33);
    bitmap.setAll();
    expect(bitmap.count()).toBe(33);
    expect(bitmap.words[1]).toBe(1);
  });
});

describe('bulk Bernoulli page picking', () => {
  const pick = (pages: number, p: number, seed: number): number => {
    const bitmap = new PageBitmap(pages);
    forEachBernoulliMask(0, pages, p, new Prng(seed), (w, mask) => bitmap.orWord(w, mask));
    return bitmap.count();
  };

  // Each page is picked independently: the count is Binomial(n, p); 5 standard deviations.
  it.each([0.001, 0.05, 0.3, 0.5, 0.77, 0.999])('picks ≈ n·p pages for p = %s', (p) => {
    const n = 1 << 20;
    const sd = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(pick(n, p, 42) - n * p)).toBeLessThan(5 * sd + 1);
  });

  it('picks every page for p = 1 and none for p = 0', () => {
    expect(pick(1000, 1, 1)).toBe(1000);
    expect(pick(1000, 0, 1)).toBe(0);
  });

  it('stays inside the requested range', () => {
    const bitmap = new PageBitmap(200);
    forEachBernoulliMask(37, 141, 0.6, new Prng(3), (w, mask) => bitmap.orWord(w, mask));
    expect(bitmap.countRange(0, 37) + bitmap.countRange(141, 200)).toBe(0);
    forEachBernoulliMask(37, 141, 0.02, new Prng(3), (w, mask) => bitmap.orWord(w, mask));
    expect(bitmap.countRange(0, 37) + bitmap.countRange(141, 200)).toBe(0);
  });
});
