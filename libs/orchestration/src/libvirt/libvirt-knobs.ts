// Ferry's convergence policy in libvirt's terms. What `virsh migrate` takes as flags is set at the
// start; the downtime limit has no flag and is set on the job (migrate-setmaxdowntime) as soon as
// it runs, and raised by the stepwise schedule while it runs.
import type { MigrateOptions } from '@ferry/libvirt';
import type { ConvergencePolicy } from '../migration/convergence-policy.js';

export interface LibvirtKnobs {
  options: MigrateOptions;
  downtimeLimitMs: number;
  /** Why a knob the policy asks for is not used (shown in the migration's history). */
  notes: string[];
}

export function libvirtKnobsFor(policy: ConvergencePolicy, options: { hasVfio: boolean }): LibvirtKnobs {
  const notes: string[] = [];
  const wantsPostcopy = policy.onTimeout === 'postcopy';
  // Post-copy cannot carry VFIO device state: the destination would run before the device's state
  // arrived. Ferry never enables it for a guest with an assigned device.
  const postcopy = wantsPostcopy && !options.hasVfio;
  if (wantsPostcopy && options.hasVfio) notes.push('post-copy not enabled: the guest has a VFIO device');
  // QEMU 7.2 refuses post-copy together with multifd (libs/qemu README); post-copy wins, as the policy
  // asked for it explicitly while parallel connections are a default.
  let parallel = policy.multifdChannels;
  if (postcopy && parallel > 1) {
    notes.push(`parallel connections (${parallel}) off: QEMU 7.2 does not combine multifd with post-copy`);
    parallel = 1;
  }
  return {
    options: {
      ...(policy.maxBandwidth !== undefined ? { maxBandwidth: policy.maxBandwidth } : {}),
      autoConverge: policy.autoConverge,
      postcopy,
      parallelConnections: parallel,
    },
    downtimeLimitMs: policy.downtimeLimitMs,
    notes,
  };
}
