import { describe, expect, it } from 'vitest';
import { downtimeFigures, isImpossibleDowntime, measuredDowntimeMs } from './switchover-downtime.js';

const events = { sourceStoppedUs: 1_796_547_556_526_681, destinationResumedUs: 1_796_547_556_531_959 };

describe("QEMU's downtime figure against the switchover's own events", () => {
  it('times the switchover from the source STOP to the destination RESUME, rounded up to the ms', () => {
    expect(measuredDowntimeMs(events)).toBe(6);
    expect(measuredDowntimeMs({ sourceStoppedUs: events.sourceStoppedUs })).toBeUndefined();
    expect(measuredDowntimeMs({ sourceStoppedUs: 10_000, destinationResumedUs: 5_000 })).toBeUndefined();
  });

  it('sets aside a downtime longer than the whole migration (QEMU 7.2 after a post-copy switch) and keeps it beside', () => {
    expect(isImpossibleDowntime(2_453_802, 4_310)).toBe(true);
    expect(downtimeFigures(2_453_802, 4_310, events)).toEqual({
      downtimeMs: 6,
      reportedDowntimeMs: 2_453_802,
      measuredDowntimeMs: 6,
    });
  });

  it("keeps QEMU's figure when it is possible, with the measured one for reference", () => {
    expect(isImpossibleDowntime(12, 4_310)).toBe(false);
    expect(downtimeFigures(12, 4_310, events)).toEqual({ downtimeMs: 12, measuredDowntimeMs: 6 });
    expect(downtimeFigures(null, 4_310, {})).toEqual({ downtimeMs: null });
  });

  it("prefers the measured pause after post-copy, where QEMU's figure stops before the destination runs", () => {
    expect(downtimeFigures(1, 6_100, { sourceStoppedUs: 0, destinationResumedUs: 25_300 }, true)).toEqual({
      downtimeMs: 26,
      reportedDowntimeMs: 1,
      measuredDowntimeMs: 26,
    });
    expect(downtimeFigures(1, 6_100, {}, true)).toEqual({ downtimeMs: 1 });
  });

  it('records no downtime rather than an impossible one when the events were missed', () => {
    expect(downtimeFigures(-3, 4_310, {})).toEqual({ downtimeMs: null, reportedDowntimeMs: -3 });
  });
});
