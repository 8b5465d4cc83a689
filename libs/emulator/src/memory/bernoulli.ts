// Picks each page of a range independently with probability p, in bulk. This is how the
// emulator turns "N random writes over W pages" into the set of distinct pages they hit
// without generating N writes: a page is hit with probability 1 − (1 − 1/W)^N.
//
// Sparse p: geometric skips between picked pages (cost ∝ pages picked).
// Dense p: a random 32-bit mask per word whose bits are set with probability p, built from
// the binary digits of p (cost ∝ words, at most 8 PRNG draws per word).
import type { Prng } from '../prng.js';
import { forEachWordMask, rangeMask } from './page-bitmap.js';

const SPARSE_BELOW = 0.1;
const MASK_BITS = 8;
const MASK_LEVELS = 1 << MASK_BITS;

/** Calls `visit(word, mask)` for each word with at least one picked page in [start, end). */
export function forEachBernoulliMask(
  start: number,
  end: number,
  p: number,
  rng: Prng,
  visit: (word: number, mask: number) => void,
): void {
  if (end <= start || !(p > 0)) return;
  if (p >= 1 - 1e-12) {
    forEachWordMask(start, end, visit);
  } else if (p < SPARSE_BELOW) {
    sparse(start, end, p, rng, visit);
  } else {
    dense(start, end, p, rng, visit);
  }
}

function sparse(start: number, end: number, p: number, rng: Prng, visit: (word: number, mask: number) => void): void {
  const logQ = Math.log1p(-p);
  let page = start - 1;
  let word = -1;
  let mask = 0;
  for (;;) {
    page += 1 + Math.floor(Math.log(rng.nextOpenUnit()) / logQ);
    if (page >= end) break;
    const w = page >>> 5;
    if (w !== word) {
      if (mask !== 0) visit(word, mask >>> 0);
      word = w;
      mask = 0;
    }
    mask |= 1 << (page & 31);
  }
  if (mask !== 0) visit(word, mask >>> 0);
}

function dense(start: number, end: number, p: number, rng: Prng, visit: (word: number, mask: number) => void): void {
  // p is quantised to 1/256 per word; error diffusion across words keeps the expected
  // count exact without spending a PRNG draw on the rounding.
  const scaled = p * MASK_LEVELS;
  const base = Math.floor(scaled);
  const fraction = scaled - base;
  let carry = 0;
  const firstWord = start >>> 5;
  const lastWord = (end - 1) >>> 5;
  for (let w = firstWord; w <= lastWord; w++) {
    carry += fraction;
    let level = base;
    if (carry >= 1) {
      carry -= 1;
      level += 1;
    }
    let mask = randomMask(level, rng);
    if (w === firstWord || w === lastWord) {
      const lo = w === firstWord ? start & 31 : 0;
      const hi = w === lastWord ? ((end - 1) & 31) + 1 : 32;
      mask &= rangeMask(lo, hi);
    }
    if (mask !== 0) visit(w, mask >>> 0);
  }
}

/** A word whose bits are each set with probability level/256 (binary-digit composition). */
function randomMask(level: number, rng: Prng): number {
  if (level <= 0) return 0;
  if (level >= MASK_LEVELS) return 0xffffffff;
  let bit = 0;
  while (((level >>> bit) & 1) === 0) bit++;
  let mask = rng.nextU32();
  for (bit++; bit < MASK_BITS; bit++) {
    mask = (level >>> bit) & 1 ? mask | rng.nextU32() : mask & rng.nextU32();
  }
  return mask >>> 0;
}
