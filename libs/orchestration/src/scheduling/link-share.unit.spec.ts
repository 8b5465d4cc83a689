import { describe, expect, it } from 'vitest';
import { maxMinFair } from './link-share.js';

describe('a link split max-min fairly', () => {
  it.each([
    { case: 'asks below the link: everyone gets what it asks', asks: { a: 4, b: 4 }, link: 10, rates: { a: 4, b: 4 } },
    { case: 'near miss: asks exactly fill the link', asks: { a: 4, b: 6 }, link: 10, rates: { a: 4, b: 6 } },
    { case: 'asks above the link: an equal split', asks: { a: 10, b: 10 }, link: 10, rates: { a: 5, b: 5 } },
    {
      case: 'a small ask is met, the others split the rest',
      asks: { a: 2, b: 10, c: 10 },
      link: 10,
      rates: { a: 2, b: 4, c: 4 },
    },
    {
      case: 'three equal asks over the link',
      asks: { a: 4, b: 4, c: 4 },
      link: 10,
      rates: { a: 10 / 3, b: 10 / 3, c: 10 / 3 },
    },
  ])('$case', ({ asks, link, rates }) => {
    const got = maxMinFair(new Map(Object.entries(asks)), link);
    for (const [id, rate] of Object.entries(rates)) expect(got.get(id)).toBeCloseTo(rate, 9);
    expect([...got.values()].reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(link + 1e-9);
  });
});
