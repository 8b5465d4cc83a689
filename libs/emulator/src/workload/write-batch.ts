// What a workload generator hands the memory model at a flush: which logical guest pages were
// written since the previous flush. Logical pages number the migrated RAM blocks end to end.

export type WriteBatch =
  /** Each page in [start, end) was written with this probability, independently. */
  | { kind: 'random'; start: number; end: number; probability: number }
  /** Every page in [start, end) was written (sequential sweeps and fills). */
  | { kind: 'range'; start: number; end: number };
