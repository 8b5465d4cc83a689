// QEMU's downtime figure is not always true: after a post-copy switch QEMU 7.2 has reported
// 2 453 802 ms, about the host's uptime (migration_calculate_complete subtracts a
// downtime_start that the post-copy path never set), and 1 ms in other runs while the guest was
// paused 26 ms (postcopy_start takes its figure once the source has queued the device state,
// before the destination runs). A figure that cannot be is never recorded as fact: the
// switchover is also timed from the two QEMUs' own events (the source's STOP as the guest
// stops, the destination's RESUME as it runs again), and QEMU's raw value is kept beside it.
// After post-copy the measured interval is always preferred: QEMU's figure does not cover the
// pause.

export interface SwitchoverEvents {
  /** The source's STOP event (µs, host clock), the last one before the destination resumed. */
  sourceStoppedUs?: number;
  /** The destination's RESUME event (µs, host clock). */
  destinationResumedUs?: number;
}

export interface DowntimeFigures {
  /** What is recorded as the downtime: QEMU's figure when it is possible, else the measured one. */
  downtimeMs: number | null;
  /** QEMU's raw figure, present only when it was set aside as impossible. */
  reportedDowntimeMs?: number;
  /** Source STOP → destination RESUME, when both events were seen. */
  measuredDowntimeMs?: number;
}

/** Source STOP to destination RESUME in whole ms (rounded up, as QEMU rounds its own). */
export function measuredDowntimeMs(events: SwitchoverEvents): number | undefined {
  const { sourceStoppedUs: stop, destinationResumedUs: resume } = events;
  if (stop === undefined || resume === undefined || resume < stop) return undefined;
  return Math.ceil((resume - stop) / 1000);
}

/**
 * A downtime is impossible when it is negative or longer than the whole migration (QEMU's
 * total-time, from `migrate` to completion, contains the pause).
 */
export function isImpossibleDowntime(downtimeMs: number, totalTimeMs: number): boolean {
  return !Number.isFinite(downtimeMs) || downtimeMs < 0 || downtimeMs > totalTimeMs;
}

export function downtimeFigures(
  reportedMs: number | null,
  totalTimeMs: number,
  events: SwitchoverEvents,
  postcopy = false,
): DowntimeFigures {
  const measured = measuredDowntimeMs(events);
  const withMeasured = measured !== undefined ? { measuredDowntimeMs: measured } : {};
  if (reportedMs === null) return { downtimeMs: measured ?? null, ...withMeasured };
  const trusted = !isImpossibleDowntime(reportedMs, totalTimeMs) && !(postcopy && measured !== undefined);
  if (trusted) return { downtimeMs: reportedMs, ...withMeasured };
  return { downtimeMs: measured ?? null, reportedDowntimeMs: reportedMs, ...withMeasured };
}
