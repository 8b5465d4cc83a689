// QEMU's query-migrate in the emulator's shapes (MigrationInfo, IterationReport), so the job
// queue reads a real migration exactly as it reads a simulated one. Byte counts become bigint.
import type { IterationReport, MigrationInfo, MigrationStatus } from '@ferry/emulator';
import type { QmpMigrationStatus as QemuStatus } from './migration-progress.js';

/** The part of query-migrate (MigrationInfo in qapi/migration.json, QEMU 7.2) read here. */
export interface RawMigrationInfo {
  status?: QemuStatus;
  'total-time'?: number;
  'setup-time'?: number;
  downtime?: number;
  'expected-downtime'?: number;
  'cpu-throttle-percentage'?: number;
  'error-desc'?: string;
  ram?: {
    transferred?: number;
    remaining?: number;
    total?: number;
    duplicate?: number;
    normal?: number;
    'normal-bytes'?: number;
    'dirty-sync-count'?: number;
    'dirty-pages-rate'?: number;
    mbps?: number;
    'pages-per-second'?: number;
    'postcopy-requests'?: number;
    'postcopy-bytes'?: number;
  };
}

/**
 * QEMU has more states than the emulator; the extra ones are phases of these. 'cancelling' and
 * 'none' keep whatever was last seen.
 */
export function emulatorStatusOf(status: QemuStatus | undefined, previous: MigrationStatus): MigrationStatus {
  switch (status) {
    case 'setup':
      return 'setup';
    case 'active':
    case 'pre-switchover':
    case 'device':
    case 'wait-unplug':
    case 'colo':
      return 'active';
    case 'postcopy-active':
      return 'postcopy-active';
    case 'postcopy-paused':
    case 'postcopy-recover':
      return 'postcopy-paused';
    case 'completed':
    case 'failed':
    case 'cancelled':
      return status;
    default:
      return previous;
  }
}

/** Before QEMU answers (guest booting, filling its working set): nothing sent yet. */
export function initialInfo(totalBytes: bigint, downtimeLimitMs: number): MigrationInfo {
  return {
    status: 'setup',
    totalTimeMs: 0,
    setupTimeMs: 0,
    downtimeMs: null,
    expectedDowntimeMs: downtimeLimitMs,
    cpuThrottlePercentage: 0,
    ram: {
      transferredBytes: 0n,
      remainingBytes: totalBytes,
      totalBytes,
      duplicatePages: 0,
      normalPages: 0,
      normalBytes: 0n,
      dirtySyncCount: 0,
      dirtyPagesRate: 0,
      mbps: 0,
      pagesPerSecond: 0,
      postcopyRequests: 0,
    },
  };
}

export function migrationInfoOf(raw: RawMigrationInfo, previous: MigrationInfo): MigrationInfo {
  const ram = raw.ram;
  const big = (value: number | undefined, fallback: bigint) =>
    value === undefined ? fallback : BigInt(Math.round(value));
  const status = emulatorStatusOf(raw.status, previous.status);
  return {
    status,
    totalTimeMs: raw['total-time'] ?? previous.totalTimeMs,
    setupTimeMs: raw['setup-time'] ?? previous.setupTimeMs,
    downtimeMs: raw.downtime ?? (status === 'completed' ? previous.downtimeMs : null),
    expectedDowntimeMs: raw['expected-downtime'] ?? previous.expectedDowntimeMs,
    cpuThrottlePercentage: raw['cpu-throttle-percentage'] ?? 0,
    ram: ram
      ? {
          transferredBytes: big(ram.transferred, previous.ram.transferredBytes),
          remainingBytes: big(ram.remaining, previous.ram.remainingBytes),
          totalBytes: big(ram.total, previous.ram.totalBytes),
          duplicatePages: ram.duplicate ?? previous.ram.duplicatePages,
          normalPages: ram.normal ?? previous.ram.normalPages,
          normalBytes: big(ram['normal-bytes'], previous.ram.normalBytes),
          dirtySyncCount: ram['dirty-sync-count'] ?? previous.ram.dirtySyncCount,
          dirtyPagesRate: ram['dirty-pages-rate'] ?? 0,
          mbps: ram.mbps ?? 0,
          pagesPerSecond: ram['pages-per-second'] ?? 0,
          postcopyRequests: ram['postcopy-requests'] ?? 0,
        }
      : previous.ram,
  };
}

const PAGE = 4096n;

/**
 * One dirty-bitmap sync as seen from two polls: `sample` is the first with the new
 * dirty-sync-count, `before` the poll just before it, `lastSync` the sample of the previous sync.
 * QEMU does not report the pages a sync found, so newlyDirtyPages is derived: what remains now
 * minus what remained before less what was sent in between (exact when one sync fell between).
 */
export function iterationReportOf(
  sample: MigrationInfo,
  before: MigrationInfo,
  lastSync: MigrationInfo | undefined,
  downtimeLimitMs: number,
): IterationReport {
  const since = lastSync ?? {
    ...before,
    totalTimeMs: 0,
    ram: { ...before.ram, transferredBytes: 0n, normalPages: 0, duplicatePages: 0 },
  };
  const sentPages =
    sample.ram.normalPages + sample.ram.duplicatePages - before.ram.normalPages - before.ram.duplicatePages;
  const pendingBefore = before.ram.remainingBytes / PAGE - BigInt(sentPages);
  // The setup sync finds nothing new: every page is already pending (ram_init_bitmaps).
  const newlyDirty =
    before.ram.dirtySyncCount === 0 ? 0n : sample.ram.remainingBytes / PAGE - (pendingBefore > 0n ? pendingBefore : 0n);
  // mbps is decimal megabits per second over QEMU's last 100 ms window; threshold = bandwidth × downtime-limit.
  const bandwidthBytesPerSecond = (sample.ram.mbps * 1e6) / 8;
  return {
    iteration: sample.ram.dirtySyncCount,
    atMs: sample.totalTimeMs,
    durationMs: sample.totalTimeMs - since.totalTimeMs,
    transferredBytes: sample.ram.transferredBytes - since.ram.transferredBytes,
    normalPages: sample.ram.normalPages - since.ram.normalPages,
    duplicatePages: sample.ram.duplicatePages - since.ram.duplicatePages,
    newlyDirtyPages: Number(newlyDirty > 0n ? newlyDirty : 0n),
    remainingBytes: sample.ram.remainingBytes,
    dirtyPagesRate: sample.ram.dirtyPagesRate,
    bandwidthBytesPerSecond,
    thresholdBytes: BigInt(Math.floor((bandwidthBytesPerSecond * downtimeLimitMs) / 1000)),
    expectedDowntimeMs: sample.expectedDowntimeMs,
    cpuThrottlePercentage: sample.cpuThrottlePercentage,
  };
}
