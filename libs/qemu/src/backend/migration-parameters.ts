// Ferry's migration knobs and their QMP spelling (qapi/migration.json, QEMU 7.2).

export interface QmpMigrationParameters {
  /** max-bandwidth; QEMU's default is 128 MiB/s (32 MiB/s before 5.1). */
  maxBandwidthBytesPerSec?: number;
  /** downtime-limit; QEMU's default is 300 ms. */
  downtimeLimitMs?: number;
  /** Throttle the vCPUs when dirtying outpaces the transfer (20 % + 10 % a step by default). */
  autoConverge?: boolean;
  /** Allow switching to post-copy; the switch itself is QmpMigrationHandle.startPostcopy(). */
  postcopy?: boolean;
  /** > 0 turns on multifd with this many channels (both sides must agree). */
  multifdChannels?: number;
}

export interface CapabilityState {
  capability: string;
  state: boolean;
}

/**
 * Capabilities for `migrate-set-capabilities`, identical on both sides: postcopy-ram and
 * multifd must match or the stream is refused. return-path is always on: without it a
 * destination that fails to load is not heard of, and the source can end up paused while
 * reporting "completed". `events` makes QEMU emit MIGRATION and MIGRATION_PASS.
 */
export function migrationCapabilities(parameters: QmpMigrationParameters): CapabilityState[] {
  return [
    { capability: 'return-path', state: true },
    { capability: 'events', state: true },
    { capability: 'auto-converge', state: parameters.autoConverge ?? false },
    { capability: 'postcopy-ram', state: parameters.postcopy ?? false },
    { capability: 'multifd', state: (parameters.multifdChannels ?? 0) > 0 },
  ];
}

/** Arguments for `migrate-set-parameters`; absent knobs keep QEMU's defaults. */
export function migrationParameterArguments(parameters: QmpMigrationParameters): Record<string, number> {
  const args: Record<string, number> = {};
  if (parameters.maxBandwidthBytesPerSec !== undefined) args['max-bandwidth'] = parameters.maxBandwidthBytesPerSec;
  if (parameters.downtimeLimitMs !== undefined) args['downtime-limit'] = parameters.downtimeLimitMs;
  if ((parameters.multifdChannels ?? 0) > 0) args['multifd-channels'] = parameters.multifdChannels!;
  return args;
}
