// Plain-data description of how a guest writes its memory. Rates are in pages per second of
// guest time; `pacing` says whether auto-converge's CPU throttle slows them (see pacing.ts).

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
  /**
   * Writes the region's pages in order, wrapping around (a streaming or scanning job).
   * `startOffsetBytes` is where in the region the sweep stands when the migration starts (its
   * phase): a guest that was already running is rarely at the start of its working set.
   */
  | { kind: 'sweep'; pagesPerSecond: number; region?: MemoryRegion; startOffsetBytes?: bigint }
  /** Runs patterns one after another for given guest-time durations; idle after the last unless `repeat`. */
  | { kind: 'phases'; phases: readonly WorkloadPhase[]; repeat?: boolean };

export interface WorkloadPhase {
  durationMs: number;
  pattern: WritePattern;
}

/**
 * What paces the guest's writes, which decides what auto-converge's throttle does to them:
 * - 'vcpu': a fixed amount of vCPU work per write (CPU-bound work: compression, a build, a
 *   scan). Throttled to p %, the vCPU runs (100 − p) % of the time and writes that much slower.
 * - 'clock': writes are due at wall-clock times (a database serving clients, a packet path).
 *   The throttle stops the vCPU, not the guest's clock, so the guest catches up when it runs.
 * - { vcpuShare }: that fraction of the writes is vCPU-bound, the rest clock-paced.
 */
export type WritePacing = 'vcpu' | 'clock' | { vcpuShare: number };

/** A write pattern plus the seed of its random choices and its pacing (default 'vcpu'). */
export type WorkloadSpec = WritePattern & { seed?: number; pacing?: WritePacing };
