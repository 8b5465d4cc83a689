// Plain-data description of how a guest writes its memory. Rates are in pages per second of
// guest (vCPU) time, so auto-converge's CPU throttle slows them as it slows a real vCPU.

/** A slice of the guest's RAM, counted in bytes from the start of the first RAM block. */
export interface MemoryRegion {
  offsetBytes: bigint;
  sizeBytes: bigint;
}

export type WritePattern =
  /** Writes nothing. */
  | { kind: 'idle' }
  /** Writes each page of the region once, in order, then stops (a guest zeroing or loading memory). */
  | { kind: 'fill-once'; pagesPerSecond: number; region?: MemoryRegion }
  /** Writes pages chosen uniformly at random from the region (its working set). */
  | { kind: 'uniform'; pagesPerSecond: number; region?: MemoryRegion }
  /**
   * A fraction `hotFraction` of writes goes uniformly to a small hot set at the start of the
   * region (or at `hotOffsetBytes` inside it); the rest goes uniformly to the whole region.
   */
  | {
      kind: 'hot-set';
      pagesPerSecond: number;
      hotBytes: bigint;
      hotFraction: number;
      hotOffsetBytes?: bigint;
      region?: MemoryRegion;
    }
  /** Writes the region's pages in order, wrapping around (a streaming or scanning job). */
  | { kind: 'sweep'; pagesPerSecond: number; region?: MemoryRegion }
  /** Runs patterns one after another for given guest-time durations; idle after the last unless `repeat`. */
  | { kind: 'phases'; phases: readonly WorkloadPhase[]; repeat?: boolean };

export interface WorkloadPhase {
  durationMs: number;
  pattern: WritePattern;
}

/** A write pattern plus the seed of its random choices. */
export type WorkloadSpec = WritePattern & { seed?: number };
