// Walks the to-send bitmaps of all RAM blocks from where it stopped last time, wrapping
// around (QEMU's PageSearchStatus / find_dirty_block), and "sends" pages until a byte budget
// is spent. Pages are priced as on the wire: a normal page is its 4 KiB plus an 8-byte
// header; a zero page is the header plus one byte (ram.c save_zero_page).
import type { GuestMemory, PageCounts } from '../memory/guest-memory.js';
import { popcount32 } from '../memory/page-bitmap.js';
import { PAGE_SIZE } from '../units.js';

const PAGE_HEADER_BYTES = 8;
export const NORMAL_PAGE_WIRE_BYTES = PAGE_SIZE + PAGE_HEADER_BYTES;
export const ZERO_PAGE_WIRE_BYTES = PAGE_HEADER_BYTES + 1;

export interface SendOutcome extends PageCounts {
  bytes: number;
}

/** Whole bytes: multifd's per-page share of a packet header is fractional (multifd.ts). */
export function wireBytes(counts: PageCounts, normalPageBytes = NORMAL_PAGE_WIRE_BYTES): number {
  return Math.round(counts.normal * normalPageBytes + counts.zero * ZERO_PAGE_WIRE_BYTES);
}

export class PageSender {
  private blockIndex = 0;
  private word = 0;

  constructor(
    private readonly memory: GuestMemory,
    /** What a normal page costs on the wire: the main stream's, or multifd's (multifd.ts). */
    readonly normalPageBytes = NORMAL_PAGE_WIRE_BYTES,
  ) {}

  /** Moves the walk to the 32-page word holding logical `page` (wrapping past the last page). */
  seek(page: number): void {
    const blocks = this.memory.blocks;
    const at = page >= this.memory.totalPages ? 0 : page;
    const index = blocks.findIndex((b) => at >= b.firstLogicalPage && at < b.firstLogicalPage + b.pages);
    if (index < 0) return;
    this.blockIndex = index;
    this.word = (at - blocks[index]!.firstLogicalPage) >>> 5;
  }

  /**
   * Sends pending pages while budget is left (the last page may overshoot, as QEMU checks the
   * rate limit after a send). `pendingPages` bounds the walk: once that many were sent the
   * bitmap is empty and scanning further would only cost time.
   */
  send(budgetBytes: number, pendingPages: number): SendOutcome {
    const out: SendOutcome = { bytes: 0, normal: 0, zero: 0 };
    const blocks = this.memory.blocks;
    let budget = budgetBytes;
    let scannedWords = 0;
    const totalWords = blocks.reduce((sum, b) => sum + b.pending.words.length, 0);
    while (budget > 0 && out.normal + out.zero < pendingPages && scannedWords <= totalWords) {
      const block = blocks[this.blockIndex]!;
      const pending = block.pending.words;
      const written = block.written.words;
      for (; this.word < pending.length && budget > 0; this.word++) {
        scannedWords++;
        let bits = pending[this.word]!;
        if (bits === 0) continue;
        const normalBits = bits & written[this.word]!;
        const zeroBits = bits & ~normalBits;
        const normal = popcount32(normalBits);
        const zero = popcount32(zeroBits);
        const cost = normal * this.normalPageBytes + zero * ZERO_PAGE_WIRE_BYTES;
        if (cost <= budget) {
          pending[this.word] = 0;
          out.normal += normal;
          out.zero += zero;
          out.bytes += cost;
          budget -= cost;
          continue;
        }
        // Not enough budget for the whole word: send page by page, lowest first.
        while (bits !== 0 && budget > 0) {
          const lowest = bits & -bits;
          const isNormal = (normalBits & lowest) !== 0;
          const pageCost = isNormal ? this.normalPageBytes : ZERO_PAGE_WIRE_BYTES;
          bits &= ~lowest;
          if (isNormal) out.normal++;
          else out.zero++;
          out.bytes += pageCost;
          budget -= pageCost;
        }
        pending[this.word] = bits >>> 0;
        if (bits !== 0) break; // budget spent inside this word: resume here next time
      }
      if (this.word >= pending.length) {
        this.word = 0;
        this.blockIndex = (this.blockIndex + 1) % blocks.length;
      }
    }
    out.bytes = Math.round(out.bytes); // whole bytes, as multifd's header share is fractional
    return out;
  }
}
