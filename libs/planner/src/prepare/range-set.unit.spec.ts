import { mergeRanges, type AddressRange } from '@ferry/domain';
import { describe, expect, it } from 'vitest';
import { firstEndingAtOrAfter, setOverlaps, setOverlapsAny } from './range-set.js';

// A small deterministic generator: the binary search must agree with a pairwise scan everywhere,
// including touching ends (inclusive) and addresses above 2^53.
function* numbers(seed: number): Generator<number> {
  for (;;) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    yield seed;
  }
}

describe('range sets (binary search over sorted, disjoint ranges)', () => {
  const gen = numbers(7);
  const next = (limit: number) => BigInt(gen.next().value % limit);
  const base = 1n << 60n; // far beyond Number.MAX_SAFE_INTEGER

  it('agree with a pairwise scan on random inputs', () => {
    for (let round = 0; round < 200; round++) {
      const raw: AddressRange[] = Array.from({ length: Number(next(12)) }, () => {
        const start = base + next(1000);
        return { start, end: start + next(40) };
      });
      const set = mergeRanges(raw);
      for (let probe = 0; probe < 20; probe++) {
        const start = base + next(1050);
        const range = { start, end: start + next(30) };
        const pairwise = raw.filter((r) => r.start <= range.end && range.start <= r.end);
        expect(setOverlaps(set, range)).toBe(pairwise.length > 0);
        expect(setOverlapsAny(set, [{ start: range.end + 1n, end: range.end + 1n }, range])).toBe(
          pairwise.length > 0 || raw.some((r) => r.start <= range.end + 1n && range.end + 1n <= r.end),
        );
      }
    }
  });

  it('treats ends as inclusive', () => {
    const set = [{ start: 0x100n, end: 0x1ffn }];
    expect(setOverlaps(set, { start: 0x1ffn, end: 0x300n })).toBe(true);
    expect(setOverlaps(set, { start: 0x200n, end: 0x300n })).toBe(false);
    expect(setOverlaps(set, { start: 0x0n, end: 0xffn })).toBe(false);
    expect(
      setOverlapsAny(set, [
        { start: 0n, end: 0xffn },
        { start: 0x1ffn, end: 0x1ffn },
      ]),
    ).toBe(true);
    expect(firstEndingAtOrAfter(set, 0x200n)).toBe(1);
  });
});
