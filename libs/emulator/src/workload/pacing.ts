// How much guest work a stretch of wall-clock time allows under auto-converge's CPU throttle.
//
// QEMU's cpu_throttle_thread (softmmu/cpu-throttle.c) makes each vCPU sleep
// pct / (1 − pct) × 10 ms after every 10 ms timeslice it runs, so a throttled vCPU runs
// (1 − pct) of the time. The VM is not stopped: QEMU_CLOCK_VIRTUAL, the guest's PIT, HPET and
// TSC keep running. A guest whose writes are bound to vCPU work writes (1 − pct) as fast; a guest
// whose writes are due at clock times finds them overdue when its vCPU runs again and catches
// up, so its rate is unchanged (as long as the writes need less vCPU time than is left to it).
import { EmulatorSpecError } from '../spec-error.js';
import type { WritePacing } from './workload-spec.js';

/** The fraction of the writes that the throttle slows: 1 for 'vcpu', 0 for 'clock'. */
export function vcpuShareOf(pacing: WritePacing | undefined): number {
  if (pacing === undefined || pacing === 'vcpu') return 1;
  if (pacing === 'clock') return 0;
  const share = pacing.vcpuShare;
  if (!(share >= 0 && share <= 1)) {
    throw new EmulatorSpecError('INVALID_WORKLOAD', `pacing.vcpuShare must be within [0, 1], got ${share}`);
  }
  return share;
}

/** Guest milliseconds of writing that `wallMs` allow with the vCPUs throttled to `throttlePercent`. */
export function pacedGuestMs(wallMs: number, throttlePercent: number, vcpuShare: number): number {
  return wallMs * (1 - (throttlePercent / 100) * vcpuShare);
}

/** A name for reports and forecasts. */
export function describePacing(pacing: WritePacing | undefined): string {
  const share = vcpuShareOf(pacing);
  if (share === 1) return 'vcpu';
  if (share === 0) return 'clock';
  return `mixed (${Math.round(share * 100)} % vCPU-bound)`;
}
