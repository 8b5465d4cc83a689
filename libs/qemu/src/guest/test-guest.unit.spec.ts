import { describe, expect, it } from 'vitest';
import { measuredDirtyRate, parseGuestProgress, parseGuestStatus, testGuestAppend } from './test-guest.js';

describe('test guest parameters and progress lines', () => {
  it('passes its parameters on the Multiboot command line', () => {
    expect(testGuestAppend({ workingSetMiB: 256, pagesPerSecond: 5000 })).toBe('ws=256 rate=5000 pace=0');
    expect(testGuestAppend({ workingSetMiB: 64, pagesPerSecond: 100, pacing: 'vcpu' })).toBe('ws=64 rate=100 pace=1');
  });

  it("reads the guest's sweep position and pages written from HMP xp output", () => {
    expect(parseGuestStatus('0000000000fff000: 0x0000a010 0x00012345\r\n')).toEqual({
      cursor: 0xa010,
      written: 0x12345,
    });
    expect(parseGuestStatus('Cannot access memory')).toBeUndefined();
  });

  it('reads complete progress lines only (the last one may be half written)', () => {
    const debugcon =
      'ferry-guest ws_mib=256 rate=5000 hpet_period_fs=10000000\nprogress t_ms=1000 pages=5000\nprogress t_ms=2000 pages=10000\nprogress t_ms=3000 pages=15';
    expect(parseGuestProgress(debugcon)).toEqual([
      { guestMs: 1000, pages: 5000 },
      { guestMs: 2000, pages: 10000 },
    ]);
  });

  it('measures the rate between the first and the last sample', () => {
    expect(
      measuredDirtyRate([
        { guestMs: 1000, pages: 5000 },
        { guestMs: 2000, pages: 10000 },
        { guestMs: 4000, pages: 19000 },
      ]),
    ).toBe(4666.666666666667);
    expect(measuredDirtyRate([{ guestMs: 1000, pages: 5000 }])).toBeUndefined();
  });
});
