// An emulator MigrationSpec's parameters in QEMU's terms: capabilities and migrate-set-parameters
// (qapi/migration.json, QEMU 7.2). Absent values get QEMU's own defaults, which are also the
// emulator's (docs/domain.md#precopy), so both sides of a comparison run the same migration.
import { QEMU_DEFAULT_DOWNTIME_LIMIT_MS, QEMU_DEFAULT_MAX_BANDWIDTH, type MigrationSpec } from '@ferry/emulator';
import type { QmpMigrationParameters } from './migration-parameters.js';

export interface BackendParameters {
  /** For startMigration (both sides). */
  parameters: QmpMigrationParameters;
  /** Extra migrate-set-parameters for the source: the throttle and post-copy knobs. */
  sourceParameters: Record<string, number>;
  /** The downtime limit in force, for the threshold in iteration reports. */
  downtimeLimitMs: number;
  postcopy: { enabled: boolean; switchAfterIterations?: number; switchWhenNotConverging: boolean };
  notes: string[];
}

export function backendParametersFor(spec: MigrationSpec): BackendParameters {
  const p = spec.parameters ?? {};
  const notes: string[] = [];
  // The link caps what max-bandwidth allows; here the "link" is a unix socket, so pass the cap on.
  const maxBandwidth = Math.min(
    p.maxBandwidth ?? QEMU_DEFAULT_MAX_BANDWIDTH,
    p.linkBandwidth ?? Number.POSITIVE_INFINITY,
  );
  const downtimeLimitMs = Math.max(1, Math.round(p.downtimeLimitMs ?? QEMU_DEFAULT_DOWNTIME_LIMIT_MS));
  const postcopyEnabled = p.postcopy?.enabled ?? false;
  let multifdChannels = p.multifdChannels ?? 0;
  if (postcopyEnabled && multifdChannels > 0) {
    // QEMU 7.2 cannot post-copy over multifd (see startMigration); post-copy is the policy's way out.
    notes.push(`multifd (${multifdChannels} channels) dropped: QEMU 7.2 cannot combine it with post-copy`);
    multifdChannels = 0;
  }
  notes.push(...unreproduced(spec));
  const parameters: QmpMigrationParameters = {
    maxBandwidthBytesPerSec: Math.floor(maxBandwidth),
    downtimeLimitMs,
    autoConverge: p.autoConverge?.enabled ?? false,
    postcopy: postcopyEnabled,
    multifdChannels,
  };
  const sourceParameters: Record<string, number> = {};
  const ac = p.autoConverge ?? {};
  if (ac.initial !== undefined) sourceParameters['cpu-throttle-initial'] = ac.initial;
  if (ac.increment !== undefined) sourceParameters['cpu-throttle-increment'] = ac.increment;
  if (ac.max !== undefined) sourceParameters['max-cpu-throttle'] = ac.max;
  if (ac.triggerThreshold !== undefined) sourceParameters['throttle-trigger-threshold'] = ac.triggerThreshold;
  if (p.postcopy?.maxBandwidth !== undefined)
    sourceParameters['max-postcopy-bandwidth'] = Math.floor(p.postcopy.maxBandwidth);
  return {
    parameters,
    sourceParameters,
    downtimeLimitMs,
    postcopy: {
      enabled: postcopyEnabled,
      ...(p.postcopy?.switchAfterIterations !== undefined
        ? { switchAfterIterations: p.postcopy.switchAfterIterations }
        : {}),
      switchWhenNotConverging: p.postcopy?.switchWhenNotConverging ?? false,
    },
    notes,
  };
}

/**
 * Spec fields that have no QEMU knob here: named, so a comparison never silently runs something
 * else. The link is a local unix socket; QEMU's device state and switchover costs are its own.
 */
function unreproduced(spec: MigrationSpec): string[] {
  const p = spec.parameters ?? {};
  const notes: string[] = [];
  if (p.perChannelBandwidth !== undefined)
    notes.push('perChannelBandwidth not reproduced: QEMU has no per-channel cap; channels run as fast as the socket');
  if (p.linkBandwidth !== undefined)
    notes.push('linkBandwidth not reproduced beyond max-bandwidth: the link is a local unix socket (~3 GB/s)');
  if (p.deviceStateBytes !== undefined && p.deviceStateBytes > 0n)
    notes.push("deviceStateBytes not reproduced: QEMU sends the q35 machine's own device state");
  if (p.switchover !== undefined || (p.switchoverOverheadMs ?? 0) > 0)
    notes.push("switchover costs not reproduced: QEMU's stop, device save/load and resume take what they take");
  if (p.setupMs !== undefined) notes.push("setupMs not reproduced: QEMU's setup phase takes what it takes");
  return notes;
}
