// The guest's RAM at page granularity. Per RAM block, three bitmaps:
//  - dirtyLog: pages written since the last sync (KVM's dirty log, KVM_GET_DIRTY_LOG);
//  - pending:  pages still to send (QEMU's RAMBlock bmap; migration_dirty_pages is its count);
//  - written:  pages ever written. A page never written is all zeroes, and QEMU sends it as a
//              9-byte zero-page record instead of 4 KiB (ram.c save_zero_page).
import type { Prng } from '../prng.js';
import { PAGE_SIZE_BIG, pagesOf } from '../units.js';
import type { WriteBatch } from '../workload/write-batch.js';
import type { MemoryRegion } from '../workload/workload-spec.js';
import { EmulatorSpecError } from '../spec-error.js';
import { forEachBernoulliMask } from './bernoulli.js';
import { forEachWordMask, PageBitmap, popcount32 } from './page-bitmap.js';

export interface RamBlockSpec {
  /** QEMU's RAMBlock id, e.g. "pc.ram"; migration matches blocks by this name. */
  name: string;
  /** Guest physical address of the block's first byte. */
  gpa: bigint;
  /** Size in bytes; a multiple of 4 KiB. */
  size: bigint;
}

/**
 * What the guest wrote before the migration started. QEMU sends a never-written page as a 9-byte
 * zero-page record and a written one as 4 KiB + header, so this decides most of the bulk pass's
 * bytes. `written` lists the regions (logical bytes, as workload regions) a guest filled before
 * migrating, e.g. a working set it swept once, plus the firmware's few pages; the rest is zero.
 */
export type InitialContent = 'zero' | 'filled' | { written: readonly MemoryRegion[] };

export class RamBlockState {
  readonly pages: number;
  readonly dirtyLog: PageBitmap;
  readonly pending: PageBitmap;
  readonly written: PageBitmap;

  constructor(
    readonly spec: RamBlockSpec,
    readonly firstLogicalPage: number,
    initialContent: InitialContent,
  ) {
    this.pages = pagesOf(spec.size);
    this.dirtyLog = new PageBitmap(this.pages);
    this.pending = new PageBitmap(this.pages);
    this.written = new PageBitmap(this.pages);
    if (initialContent === 'filled') this.written.setAll();
  }
}

export interface PageCounts {
  normal: number;
  zero: number;
}

export class GuestMemory {
  readonly blocks: RamBlockState[];
  readonly totalPages: number;

  constructor(specs: readonly RamBlockSpec[], initialContent: InitialContent) {
    let first = 0;
    this.blocks = specs.map((spec) => {
      const block = new RamBlockState(spec, first, initialContent);
      first += block.pages;
      return block;
    });
    this.totalPages = first;
    if (typeof initialContent === 'object') this.markWritten(initialContent.written);
  }

  private markWritten(regions: readonly MemoryRegion[]): void {
    for (const region of regions) {
      const start = Number(region.offsetBytes / PAGE_SIZE_BIG);
      const end = Number((region.offsetBytes + region.sizeBytes + PAGE_SIZE_BIG - 1n) / PAGE_SIZE_BIG);
      if (region.offsetBytes < 0n || end <= start || end > this.totalPages) {
        throw new EmulatorSpecError(
          'INVALID_MEMORY',
          `written region [${region.offsetBytes}, +${region.sizeBytes}) must be a non-empty part of the guest's ${this.totalPages} pages`,
        );
      }
      this.forEachBlockSlice(start, end, (block, lo, hi) => block.written.setRange(lo, hi));
    }
  }

  /** Records guest writes in the dirty log. */
  applyWrites(batches: readonly WriteBatch[], rng: Prng): void {
    for (const batch of batches) {
      this.forEachBlockSlice(batch.start, batch.end, (block, start, end) => {
        if (batch.kind === 'range') {
          block.dirtyLog.setRange(start, end);
        } else {
          forEachBernoulliMask(start, end, batch.probability, rng, (w, mask) => block.dirtyLog.orWord(w, mask));
        }
      });
    }
  }

  /**
   * migration_bitmap_sync(): moves the dirty log into the to-send bitmap and clears the log.
   * Returns the pages that became pending (QEMU's num_dirty_pages_period increment: a page
   * already pending is not counted twice).
   */
  syncDirtyLog(): number {
    let added = 0;
    for (const block of this.blocks) {
      const { lo, hi } = block.dirtyLog.extent();
      const log = block.dirtyLog.words;
      const pending = block.pending.words;
      const written = block.written.words;
      for (let w = lo; w < hi; w++) {
        const bits = log[w]!;
        if (bits === 0) continue;
        added += popcount32(bits & ~pending[w]!);
        pending[w]! |= bits;
        written[w]! |= bits;
        log[w] = 0;
      }
      block.dirtyLog.resetExtent();
    }
    return added;
  }

  /** Marks every page pending: the bulk stage's "everything is dirty" (ram_init_bitmaps). */
  markAllPending(): number {
    let added = 0;
    for (const block of this.blocks) added += block.pending.setRange(0, block.pages);
    return added;
  }

  /**
   * Post-copy: pages the destination guest touched that it does not have yet fault and are
   * pulled from the source at once. Clears them from `pending` and classifies them;
   * `lastPage` is the highest logical page taken (-1 if none).
   */
  takeTouchedPending(batches: readonly WriteBatch[], rng: Prng): PageCounts & { lastPage: number } {
    const counts = { normal: 0, zero: 0, lastPage: -1 };
    const take = (block: RamBlockState, w: number, mask: number): void => {
      const hit = mask & block.pending.words[w]!;
      if (hit === 0) return;
      const normal = hit & block.written.words[w]!;
      counts.normal += popcount32(normal);
      counts.zero += popcount32(hit & ~normal);
      block.pending.words[w]! &= ~hit;
      counts.lastPage = Math.max(counts.lastPage, block.firstLogicalPage + w * 32 + 31 - Math.clz32(hit));
    };
    for (const batch of batches) {
      this.forEachBlockSlice(batch.start, batch.end, (block, start, end) => {
        if (batch.kind === 'range') {
          forEachBernoulliMask(start, end, 1, rng, (w, mask) => take(block, w, mask));
        } else {
          forEachBernoulliMask(start, end, batch.probability, rng, (w, mask) => take(block, w, mask));
        }
      });
    }
    return counts;
  }

  /** The first logical page in [start, end) still pending (not yet sent), or -1. */
  firstPendingPage(start: number, end: number): number {
    let found = -1;
    this.forEachBlockSlice(start, end, (block, lo, hi) => {
      if (found >= 0) return;
      forEachWordMask(lo, hi, (w, mask) => {
        if (found >= 0) return;
        const bits = (block.pending.words[w]! & mask) >>> 0;
        if (bits !== 0) found = block.firstLogicalPage + w * 32 + 31 - Math.clz32(bits & -bits);
      });
    });
    return found;
  }

  /** Pending pages split by content, to price the final stop-and-copy exactly. */
  pendingByContent(): PageCounts {
    const counts: PageCounts = { normal: 0, zero: 0 };
    for (const block of this.blocks) {
      const pending = block.pending.words;
      const written = block.written.words;
      for (let w = 0; w < pending.length; w++) {
        const bits = pending[w]!;
        if (bits === 0) continue;
        const normal = bits & written[w]!;
        counts.normal += popcount32(normal);
        counts.zero += popcount32(bits & ~normal);
      }
    }
    return counts;
  }

  clearPending(): void {
    for (const block of this.blocks) block.pending.clearAll();
  }

  /** Splits a logical page range into per-block slices. */
  private forEachBlockSlice(
    start: number,
    end: number,
    visit: (block: RamBlockState, start: number, end: number) => void,
  ): void {
    for (const block of this.blocks) {
      const lo = Math.max(start, block.firstLogicalPage);
      const hi = Math.min(end, block.firstLogicalPage + block.pages);
      if (lo < hi) visit(block, lo - block.firstLogicalPage, hi - block.firstLogicalPage);
    }
  }
}
