import { describe, expect, it } from 'vitest';
import { parseLibvirtSize } from './libvirt-size.js';

describe('parseLibvirtSize (libvirt virScaleInteger units)', () => {
  it.each([
    ['1024', undefined, 1024n * 1024n], // KiB is the default for memory elements
    ['1', 'b', 1n],
    ['4096', 'bytes', 4096n],
    ['7', 'byte', 7n],
    ['2', 'k', 2048n],
    ['2', 'KiB', 2048n],
    ['2', 'KB', 2000n],
    ['3', 'M', 3n * 1024n ** 2n],
    ['3', 'MiB', 3n * 1024n ** 2n],
    ['3', 'MB', 3_000_000n],
    ['16', 'G', 16n * 1024n ** 3n],
    ['16', 'GiB', 16n * 1024n ** 3n],
    ['16', 'GB', 16_000_000_000n],
    ['1', 'T', 1024n ** 4n],
    ['1', 'TiB', 1024n ** 4n],
    ['1', 'TB', 1000n ** 4n],
    ['1', 'PiB', 1024n ** 5n],
    ['2', 'gib', 2n * 1024n ** 3n], // libvirt compares units case-insensitively
  ])('%s %s is %d bytes', (value, unit, bytes) => {
    expect(parseLibvirtSize(value, unit)).toEqual({ bytes });
  });

  it.each([
    ['8', 'KiBB', 'unknown unit'],
    ['8', 'Gibi', 'unknown unit'],
    ['8', 'X', 'unknown unit'],
    ['16G', 'KiB', 'not a non-negative integer'],
    ['-1', 'KiB', 'not a non-negative integer'],
    ['1.5', 'GiB', 'not a non-negative integer'],
    ['0x10', 'KiB', 'not a non-negative integer'],
    ['', 'KiB', 'not a non-negative integer'],
    ['17', 'EiB', 'does not fit in 64 bits'],
  ])('rejects %j %s: %s', (value, unit, reason) => {
    expect(parseLibvirtSize(value, unit)).toEqual({ error: expect.stringContaining(reason) });
  });

  it('rejects a missing value', () => {
    expect(parseLibvirtSize(undefined, 'KiB')).toHaveProperty('error');
  });
});
