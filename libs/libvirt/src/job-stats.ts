// `virsh domjobinfo --rawstats` prints libvirt's typed parameters (virDomainGetJobStats) as
// `key: value` lines under `Job type: <n>`: the names are libvirt's VIR_DOMAIN_JOB_* field names,
// the numbers are raw (bytes, ms, pages/s), so nothing human-oriented is parsed.

/** virDomainJobType */
export type JobType = 'none' | 'bounded' | 'unbounded' | 'completed' | 'failed' | 'cancelled';
const JOB_TYPES: JobType[] = ['none', 'bounded', 'unbounded', 'completed', 'failed', 'cancelled'];

/** virDomainJobOperation (the ones Ferry tells apart). */
export type JobOperation = 'unknown' | 'migration-in' | 'migration-out' | 'other';

export interface JobStats {
  type: JobType;
  operation: JobOperation;
  /** time_elapsed */
  elapsedMs: number;
  /** While running: the downtime QEMU expects now; once completed: the real one. */
  downtimeMs: number | null;
  memory: {
    totalBytes: bigint;
    processedBytes: bigint;
    remainingBytes: bigint;
    /** memory_bps: bytes per second over QEMU's last window. */
    bytesPerSecond: number;
    /** memory_dirty_rate: pages per second. */
    dirtyPagesRate: number;
    /** memory_iteration: QEMU's dirty-sync count. */
    iteration: number;
    pageSize: number;
    postcopyRequests: number;
  };
  /** auto-converge's current CPU throttle, percent. */
  cpuThrottlePercentage: number;
  /** errmsg: why a failed job failed, QEMU's words (libvirt ≥ 6.x). */
  errorMessage: string | null;
  /** Every key as printed, for what the fields above do not name. */
  raw: Record<string, string>;
}

/** `key: value` lines (domjobinfo --rawstats, or the tab-indented body of a job-completed event). */
export function parseTypedParameters(text: string): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([a-z_.0-9]+): (.*)$/.exec(line);
    if (match) raw[match[1]!] = match[2]!;
  }
  return raw;
}

export function parseJobStats(text: string): JobStats {
  const typeMatch = /^Job type: (\d+)/m.exec(text);
  if (!typeMatch) throw new Error(`not domjobinfo --rawstats output: ${JSON.stringify(text.slice(0, 200))}`);
  const raw = parseTypedParameters(text.replace(/^Job type: .*$/m, ''));
  return jobStatsOf(JOB_TYPES[Number(typeMatch[1])] ?? 'none', raw);
}

export function jobStatsOf(type: JobType, raw: Record<string, string>): JobStats {
  const int = (key: string) => (raw[key] === undefined ? 0 : Number(raw[key]));
  const big = (key: string) => (raw[key] === undefined ? 0n : BigInt(raw[key]!));
  return {
    type,
    operation: operationOf(raw['operation']),
    elapsedMs: int('time_elapsed'),
    downtimeMs: raw['downtime'] === undefined ? null : Number(raw['downtime']),
    memory: {
      totalBytes: big('memory_total'),
      processedBytes: big('memory_processed'),
      remainingBytes: big('memory_remaining'),
      bytesPerSecond: int('memory_bps'),
      dirtyPagesRate: int('memory_dirty_rate'),
      iteration: int('memory_iteration'),
      pageSize: int('memory_page_size') || 4096,
      postcopyRequests: int('memory_postcopy_requests'),
    },
    cpuThrottlePercentage: int('auto_converge_throttle'),
    errorMessage: raw['errmsg'] ?? null,
    raw,
  };
}

function operationOf(value: string | undefined): JobOperation {
  if (value === '4') return 'migration-in';
  if (value === '5') return 'migration-out';
  if (value === undefined || value === '0') return 'unknown';
  return 'other';
}

export const jobActive = (stats: JobStats) => stats.type === 'bounded' || stats.type === 'unbounded';
