// query-migrate (MigrationInfo in qapi/migration.json) turned into Ferry's progress record.

export type QmpMigrationStatus =
  | 'none'
  | 'setup'
  | 'active'
  | 'pre-switchover'
  | 'device'
  | 'postcopy-active'
  | 'postcopy-paused'
  | 'postcopy-recover'
  | 'wait-unplug'
  | 'colo'
  | 'cancelling'
  | 'cancelled'
  | 'completed'
  | 'failed';

export type QmpMigrationEndStatus = 'completed' | 'failed' | 'cancelled';

export function isEndStatus(status: QmpMigrationStatus): status is QmpMigrationEndStatus {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/** The subset of query-migrate's answer read here. */
export interface QueryMigrateResult {
  status?: QmpMigrationStatus;
  'total-time'?: number;
  'expected-downtime'?: number;
  downtime?: number;
  'cpu-throttle-percentage'?: number;
  'error-desc'?: string;
  ram?: {
    transferred?: number;
    remaining?: number;
    total?: number;
    'dirty-pages-rate'?: number;
    'dirty-sync-count'?: number;
    mbps?: number;
  };
}

/**
 * Byte counts are numbers: QMP sends them as JSON numbers, exact below 2^53 bytes (8 PiB).
 * Fields QEMU has not reported yet (e.g. ram during setup) read as 0.
 */
export interface QmpMigrationProgress {
  status: QmpMigrationStatus;
  totalTimeMs: number;
  transferredBytes: number;
  remainingBytes: number;
  totalBytes: number;
  /** Pages dirtied per second over the last dirty-bitmap sync period (≥ 1 s, host time). */
  dirtyPagesRate: number;
  dirtySyncCount: number;
  expectedDowntimeMs: number;
  /** Only once completed. */
  downtimeMs?: number;
  cpuThrottlePercentage: number;
  /** Megabits (10^6) per second. */
  mbps: number;
}

export function toQmpMigrationProgress(info: QueryMigrateResult): QmpMigrationProgress {
  const ram = info.ram ?? {};
  const progress: QmpMigrationProgress = {
    status: info.status ?? 'none',
    totalTimeMs: info['total-time'] ?? 0,
    transferredBytes: ram.transferred ?? 0,
    remainingBytes: ram.remaining ?? 0,
    totalBytes: ram.total ?? 0,
    dirtyPagesRate: ram['dirty-pages-rate'] ?? 0,
    dirtySyncCount: ram['dirty-sync-count'] ?? 0,
    expectedDowntimeMs: info['expected-downtime'] ?? 0,
    cpuThrottlePercentage: info['cpu-throttle-percentage'] ?? 0,
    mbps: ram.mbps ?? 0,
  };
  if (info.downtime !== undefined) progress.downtimeMs = info.downtime;
  return progress;
}
