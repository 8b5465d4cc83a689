import { formatSize, type GuestState } from '@ferry/domain';
import { predictMigration } from '@ferry/emulator';
import type { Conflict } from '@ferry/planner';
import { completionTimeoutMs, migrationSpecFor, pagesPerSecond } from './emulator-spec.js';
import type { ConvergencePolicy } from './convergence-policy.js';

/** Simulated time a forecast may take before it counts as "does not converge" (keeps plans fast). */
const FORECAST_LIMIT_MS = 600_000;
const cache = new Map<string, Conflict | null>();

/**
 * docs/domain.md#precopy, #rule-migration-will-not-converge: runs the emulator's pre-copy model on the guest's RAM and dirty-rate
 * hints under the policy, and warns when it will not converge within the completion timeout. The
 * warning's evidence says which workload pacing it assumed (`pacing`, `convergesIfVcpuBound`). It does
 * not depend on the destination (one link speed), so it is computed once per guest version and policy.
 */
export function convergenceForecast(
  guest: GuestState,
  version: number,
  policy: ConvergencePolicy,
  linkBandwidth: number,
): Conflict | undefined {
  const key = `${guest.id}@${version}|${linkBandwidth}|${JSON.stringify(policy)}`;
  if (cache.has(key)) return cache.get(key) ?? undefined;
  const hasVfio = guest.devices.some((d) => d.kind === 'vfio' || d.kind === 'vdpa');
  const spec = migrationSpecFor(guest, policy, { linkBandwidth, seed: 1, hasVfio });
  const ramBytes = spec.ramBlocks.reduce((sum, b) => sum + b.size, 0n);
  const timeoutMs = Math.min(completionTimeoutMs(ramBytes, policy), FORECAST_LIMIT_MS);
  const limits = { maxIterations: 10_000, timeoutMs };
  // Pacing decides what auto-converge can do (docs/domain.md#precopy): its throttle slows writes
  // bound to vCPU work, not writes due at clock times (clients, packets). The hints do not say
  // which a guest does, so the forecast assumes the case the throttle cannot help, clock-paced,
  // and says whether a vCPU-bound guest would converge. Without auto-converge both are the same.
  const pacing = policy.autoConverge ? 'clock' : 'vcpu';
  const prediction = predictMigration({ ...spec, workload: { ...spec.workload, pacing }, limits });
  const ifVcpuBound =
    !prediction.converged && policy.autoConverge
      ? predictMigration({ ...spec, workload: { ...spec.workload, pacing: 'vcpu' }, limits })
      : undefined;
  const assumed = policy.autoConverge
    ? ifVcpuBound?.converged
      ? ` (assuming its writes are paced by outside arrivals, which auto-converge's throttle cannot slow; if they are CPU-bound, the throttle makes it converge: ${ifVcpuBound.message})`
      : " (whether its writes are CPU-bound or paced by outside arrivals: auto-converge's throttle does not bring it within reach)"
    : '';
  const conflict: Conflict | null = prediction.converged
    ? null
    : {
        code: 'MIGRATION_WILL_NOT_CONVERGE' as Conflict['code'],
        severity: 'warning',
        message: `Pre-copy is predicted not to converge within ${Math.round(timeoutMs / 1000)} s: ${prediction.message}${assumed}`,
        evidence: {
          guestId: guest.id,
          ram: formatSize(ramBytes),
          dirtyPagesPerSecond: pagesPerSecond(guest.migration?.dirtyRate),
          maxBandwidthBytesPerSecond: policy.maxBandwidth ?? linkBandwidth,
          downtimeLimitMs: policy.downtimeLimitMs,
          autoConverge: policy.autoConverge,
          pacing,
          ...(ifVcpuBound ? { convergesIfVcpuBound: ifVcpuBound.converged } : {}),
          reason: prediction.reason,
          iterations: prediction.iterations,
          fact: 'QEMU switches over only when what remains fits bandwidth × downtime-limit; a guest dirtying faster than the link never gets there by itself. Auto-converge throttles the vCPUs, which slows CPU-bound writes but not writes paced by a clock.',
          section: 'docs/domain.md#rule-migration-will-not-converge',
        },
        remedy: hasVfio
          ? 'Raise max-bandwidth or the downtime limit (a downtime schedule), or enable auto-converge; post-copy is not possible with VFIO devices.'
          : 'Raise max-bandwidth or the downtime limit (a downtime schedule), enable auto-converge, or allow post-copy on timeout.',
        section: 'docs/domain.md#rule-migration-will-not-converge',
      };
  if (cache.size >= 1000) cache.delete(cache.keys().next().value!);
  cache.set(key, conflict);
  return conflict ?? undefined;
}
