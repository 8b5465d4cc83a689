// What the emulator reports: the fields of QEMU's query-migrate (MigrationInfo / MigrationStats
// in qapi/migration.json), per dirty-bitmap sync and at the end. Byte counts are bigint.

export type MigrationStatus =
  | 'setup'
  | 'active'
  | 'postcopy-active'
  /** Post-copy lost its stream: the guest is split between hosts and waits for recovery. */
  | 'postcopy-paused'
  | 'completed'
  | 'failed'
  | 'cancelled';

/** QEMU run states of the two VMs that an operator watches. */
export type SourceVmState = 'running' | 'postmigrate';
export type DestinationVmState = 'inmigrate' | 'running' | 'paused' | 'shutdown';

export interface RamStats {
  transferredBytes: bigint;
  remainingBytes: bigint;
  totalBytes: bigint;
  /** Zero pages sent as a header only ("duplicate" in query-migrate). */
  duplicatePages: number;
  normalPages: number;
  normalBytes: bigint;
  dirtySyncCount: number;
  /** Pages newly dirtied per second over the last ≥ 1 s sync period (QEMU migration_update_rates). */
  dirtyPagesRate: number;
  /** Megabits (10^6) per second over the last ≥ 100 ms window. */
  mbps: number;
  pagesPerSecond: number;
  /** Post-copy page requests: remote page faults of the destination guest. */
  postcopyRequests: number;
}

export interface MigrationInfo {
  status: MigrationStatus;
  /** Virtual ms since the migration started (final once completed). */
  totalTimeMs: number;
  setupTimeMs: number;
  /** Guest pause at the switchover; null until it happened. */
  downtimeMs: number | null;
  /**
   * Real QEMU only: the downtime QEMU itself reported, kept beside `downtimeMs` when it was
   * physically impossible (more than the whole migration took) and replaced there by
   * `measuredDowntimeMs`. QEMU 7.2 reports the host's uptime after some post-copy switches.
   */
  reportedDowntimeMs?: number;
  /** Real QEMU only: source STOP to destination RESUME, from the two QEMUs' own event timestamps. */
  measuredDowntimeMs?: number;
  /** remaining-after-last-sync / bandwidth (QEMU migration_update_counters). */
  expectedDowntimeMs: number;
  cpuThrottlePercentage: number;
  ram: RamStats;
}

/** One dirty-bitmap sync: what the pass since the previous sync sent and what the sync found. */
export interface IterationReport {
  /** dirty-sync-count after this sync (1 = the sync at the end of setup). */
  iteration: number;
  atMs: number;
  durationMs: number;
  transferredBytes: bigint;
  normalPages: number;
  duplicatePages: number;
  /** Pages the sync found dirty that were not already waiting to be sent. */
  newlyDirtyPages: number;
  remainingBytes: bigint;
  dirtyPagesRate: number;
  bandwidthBytesPerSecond: number;
  thresholdBytes: bigint;
  expectedDowntimeMs: number;
  cpuThrottlePercentage: number;
}

export type MigrationRunEvent =
  | { type: 'status-changed'; atMs: number; from: MigrationStatus; to: MigrationStatus }
  | { type: 'dirty-sync'; atMs: number; iteration: IterationReport }
  | { type: 'throttle-changed'; atMs: number; percent: number };

export type StopReason =
  | 'completed'
  | 'cancelled'
  | 'network-failure'
  /** maxIterations dirty syncs without converging; the migration is still 'active'. */
  | 'iteration-limit'
  /** timeoutMs of virtual time without converging; the migration is still 'active'. */
  | 'time-limit';

export interface PostcopyReport {
  startedAtMs: number;
  /** Bytes still on the source when the destination started running. */
  remainingAtSwitchBytes: bigint;
  faultCount: number;
  faultBytes: bigint;
  backgroundBytes: bigint;
  durationMs: number;
}

export interface MigrationResult {
  status: MigrationStatus;
  /** Why the engine stopped; null while it is still running. */
  stopReason: StopReason | null;
  /** True when the guest runs on the destination with all its memory (pre-copy or post-copy). */
  converged: boolean;
  info: MigrationInfo;
  iterations: IterationReport[];
  /** Each auto-converge throttle step, in percent, in order. */
  throttleSteps: number[];
  postcopy: PostcopyReport | null;
  source: SourceVmState;
  destination: DestinationVmState;
  /** A real backend's own words when it failed (QEMU's error-desc); the emulator has none to add. */
  error?: string | null;
}
