import { describe, expect, it } from 'vitest';
import { usableIovaRanges } from './iova-ranges.js';

describe('usable IOVA ranges', () => {
  it('is the aperture minus direct, reserved and msi regions, inclusive ends, ignoring direct-relaxable', () => {
    const ranges = usableIovaRanges(40, [
      { start: 0xfee00000n, end: 0xfeefffffn, type: 'msi' },
      { start: 0xfd_0000_0000n, end: 0xff_ffff_ffffn, type: 'reserved' },
      { start: 0x1000n, end: 0x1fffn, type: 'direct' },
      { start: 0x0n, end: 0xffffffn, type: 'direct-relaxable' },
    ]);
    expect(ranges).toEqual([
      { start: 0x0n, end: 0xfffn },
      { start: 0x2000n, end: 0xfedfffffn },
      { start: 0xfef00000n, end: 0xfc_ffff_ffffn },
    ]);
  });

  it('handles regions at the aperture edges and overlapping regions', () => {
    expect(
      usableIovaRanges(32, [
        { start: 0n, end: 0xfffn, type: 'reserved' },
        { start: 0xffff_f000n, end: 0xffff_ffffn, type: 'msi' },
        { start: 0x8000n, end: 0x9fffn, type: 'reserved' },
        { start: 0x9000n, end: 0xafffn, type: 'msi' },
      ]),
    ).toEqual([
      { start: 0x1000n, end: 0x7fffn },
      { start: 0xb000n, end: 0xffff_efffn },
    ]);
  });
});
