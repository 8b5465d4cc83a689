// The arguments of `virsh migrate` for Ferry's peer-to-peer live migration. Pure, so the mapping
// from a convergence policy to libvirt's knobs is tested without a host.

export interface MigrateOptions {
  /** --bandwidth, bytes per second (libvirt takes whole MiB/s; at least 1). */
  maxBandwidth?: number;
  /** Applied right after the job starts (`migrate-setmaxdowntime`); virsh migrate has no flag for it. */
  downtimeLimitMs?: number;
  autoConverge?: boolean;
  /** --postcopy: allow the switch (done later with `migrate-postcopy`). */
  postcopy?: boolean;
  /** --parallel --parallel-connections N (QEMU multifd); 1 = a single stream. */
  parallelConnections?: number;
}

export function bandwidthMiBps(bytesPerSecond: number): number {
  return Math.max(1, Math.floor(bytesPerSecond / 2 ** 20));
}

export function migrateArguments(uuid: string, destinationUri: string, options: MigrateOptions): string[] {
  const args = ['migrate', '--live', '--p2p', '--persistent', '--undefinesource', '--abort-on-error'];
  if (options.maxBandwidth !== undefined) args.push('--bandwidth', String(bandwidthMiBps(options.maxBandwidth)));
  if (options.autoConverge) args.push('--auto-converge');
  if (options.postcopy) args.push('--postcopy');
  if (options.parallelConnections !== undefined && options.parallelConnections > 1) {
    args.push('--parallel', '--parallel-connections', String(options.parallelConnections));
  }
  args.push(uuid, destinationUri);
  return args;
}
