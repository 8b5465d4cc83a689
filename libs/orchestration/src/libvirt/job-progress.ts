// libvirt's job statistics in the shapes the executor reads from every backend (the emulator's
// MigrationInfo and IterationReport), so progress, the stepwise schedule and the completion timeout
// work the same on a real libvirt migration.
import type { IterationReport, MigrationInfo, MigrationStatus } from '@ferry/emulator';
import type { JobStats } from '@ferry/libvirt';

export function migrationInfoOf(stats: JobStats, status: MigrationStatus): MigrationInfo {
  const m = stats.memory;
  return {
    status,
    totalTimeMs: stats.elapsedMs,
    setupTimeMs: Number(stats.raw['setup_time'] ?? 0),
    downtimeMs: status === 'completed' ? stats.downtimeMs : null,
    expectedDowntimeMs: stats.downtimeMs ?? 0,
    cpuThrottlePercentage: stats.cpuThrottlePercentage,
    ram: {
      transferredBytes: m.processedBytes,
      remainingBytes: m.remainingBytes,
      totalBytes: m.totalBytes,
      duplicatePages: Number(stats.raw['memory_constant'] ?? 0),
      normalPages: Number(stats.raw['memory_normal'] ?? 0),
      normalBytes: BigInt(stats.raw['memory_normal_bytes'] ?? 0),
      dirtySyncCount: m.iteration,
      dirtyPagesRate: m.dirtyPagesRate,
      mbps: (m.bytesPerSecond * 8) / 1e6,
      pagesPerSecond: m.pageSize > 0 ? Math.round(m.bytesPerSecond / m.pageSize) : 0,
      postcopyRequests: m.postcopyRequests,
    },
  };
}

/** Status from a running job: QEMU is still in setup until the first dirty sync. */
export function runningStatusOf(stats: JobStats, postcopyRequested: boolean): MigrationStatus {
  if (stats.memory.iteration === 0) return 'setup';
  return postcopyRequested ? 'postcopy-active' : 'active';
}

/** One dirty sync seen in the job statistics, against the previous sync's numbers. */
export function iterationReportOf(stats: JobStats, previous: JobStats | undefined): IterationReport {
  const m = stats.memory;
  const sentSince = previous ? m.processedBytes - previous.memory.processedBytes : m.processedBytes;
  const durationMs = previous ? stats.elapsedMs - previous.elapsedMs : stats.elapsedMs;
  return {
    iteration: m.iteration,
    atMs: stats.elapsedMs,
    durationMs,
    transferredBytes: sentSince,
    normalPages: Number(stats.raw['memory_normal'] ?? 0),
    duplicatePages: Number(stats.raw['memory_constant'] ?? 0),
    newlyDirtyPages: m.pageSize > 0 ? Number(m.remainingBytes / BigInt(m.pageSize)) : 0,
    remainingBytes: m.remainingBytes,
    dirtyPagesRate: m.dirtyPagesRate,
    bandwidthBytesPerSecond: m.bytesPerSecond,
    thresholdBytes: 0n,
    expectedDowntimeMs: stats.downtimeMs ?? 0,
    cpuThrottlePercentage: stats.cpuThrottlePercentage,
  };
}
