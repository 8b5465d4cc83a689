// One bit per 4 KiB guest page, packed in Uint32Array words, like QEMU's RAMBlock bmap and
// KVM's dirty log. There are no per-page objects: everything works on 32 pages at a time.

export class PageBitmap {
  readonly words: Uint32Array;
  /** Lowest and one-past-highest word that may hold set bits: lets a sync skip clean memory. */
  private extentLo: number;
  private extentHi: number;

  constructor(readonly pages: number) {
    this.words = new Uint32Array(Math.ceil(pages / 32));
    this.extentLo = this.words.length;
    this.extentHi = 0;
  }

  get(page: number): boolean {
    return (this.words[page >>> 5]! & (1 << (page & 31))) !== 0;
  }

  set(page: number): void {
    this.words[page >>> 5]! |= 1 << (page & 31);
    this.widenExtent(page >>> 5, (page >>> 5) + 1);
  }

  /** Sets every page in [start, end); returns how many were not set before. */
  setRange(start: number, end: number): number {
    let added = 0;
    forEachWordMask(start, end, (w, mask) => {
      added += popcount32(mask & ~this.words[w]!);
      this.words[w]! |= mask;
    });
    if (end > start) this.widenExtent(start >>> 5, ((end - 1) >>> 5) + 1);
    return added;
  }

  /** ORs a mask into one word (used by the random write generators). */
  orWord(word: number, mask: number): void {
    this.words[word]! |= mask;
    this.widenExtent(word, word + 1);
  }

  setAll(): void {
    this.setRange(0, this.pages);
  }

  clearAll(): void {
    this.words.fill(0);
    this.extentLo = this.words.length;
    this.extentHi = 0;
  }

  /** Set pages in [start, end). */
  countRange(start: number, end: number): number {
    let total = 0;
    forEachWordMask(start, end, (w, mask) => {
      total += popcount32(this.words[w]! & mask);
    });
    return total;
  }

  count(): number {
    return this.countRange(0, this.pages);
  }

  /** Word range [lo, hi) outside which every word is zero. */
  extent(): { lo: number; hi: number } {
    return { lo: this.extentLo, hi: Math.max(this.extentLo, this.extentHi) };
  }

  /** Forgets the extent after the caller zeroed the words inside it. */
  resetExtent(): void {
    this.extentLo = this.words.length;
    this.extentHi = 0;
  }

  private widenExtent(lo: number, hi: number): void {
    if (lo < this.extentLo) this.extentLo = lo;
    if (hi > this.extentHi) this.extentHi = hi;
  }
}

/** Population count of a 32-bit word (the classic SWAR reduction). */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Calls back once per word overlapping [start, end) with the mask of pages inside the range. */
export function forEachWordMask(start: number, end: number, visit: (word: number, mask: number) => void): void {
  if (end <= start) return;
  const firstWord = start >>> 5;
  const lastWord = (end - 1) >>> 5;
  for (let w = firstWord; w <= lastWord; w++) {
    const lo = w === firstWord ? start & 31 : 0;
    const hi = w === lastWord ? ((end - 1) & 31) + 1 : 32;
    visit(w, rangeMask(lo, hi));
  }
}

/** Bits [lo, hi) of a word set, 0 ≤ lo < hi ≤ 32. */
export function rangeMask(lo: number, hi: number): number {
  const upper = hi === 32 ? 0xffffffff : (1 << hi) - 1;
  return (upper & ~((1 << lo) - 1)) >>> 0;
}
