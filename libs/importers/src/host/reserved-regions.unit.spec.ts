import { describe, expect, it } from 'vitest';
import { parseReservedRegions } from './reserved-regions.js';

describe('parseReservedRegions', () => {
  it('reads start, inclusive end and type of every kernel-format line', () => {
    const { regions, problems } = parseReservedRegions(
      '0x00000000fee00000 0x00000000feefffff msi\n0x000000fd00000000 0x000000ffffffffff reserved\n',
    );

    expect(problems).toEqual([]);
    expect(regions.map((r) => [BigInt(r.start), BigInt(r.end), r.type])).toEqual([
      [0xfee00000n, 0xfeefffffn, 'msi'],
      [0xfd00000000n, 0xffffffffffn, 'reserved'],
    ]);
  });

  it.each(['direct', 'direct-relaxable', 'reserved', 'msi'])('keeps the kernel type "%s"', (type) => {
    const { regions } = parseReservedRegions(`0x0000000000000000 0x0000000000000fff ${type}\n`);
    expect(regions[0].type).toBe(type);
  });

  it('keeps addresses at the top of the 64-bit space exact', () => {
    const { regions } = parseReservedRegions('0xfffffffffffff000 0xffffffffffffffff reserved\n');
    expect(BigInt(regions[0].end)).toBe((1n << 64n) - 1n);
  });

  it('treats an unknown type as reserved and says so with its line', () => {
    const { regions, problems } = parseReservedRegions(
      '0x00000000fee00000 0x00000000feefffff msi\n0x0000000000001000 0x0000000000001fff sw-msi-new\n',
    );

    expect(regions[1]).toEqual({ start: '0x1000', end: '0x1fff', type: 'reserved' });
    expect(problems).toEqual([{ severity: 'note', line: 2, message: expect.stringContaining('sw-msi-new') }]);
  });

  it('reads an empty file as no regions and no problems', () => {
    expect(parseReservedRegions('')).toEqual({ regions: [], problems: [] });
  });

  it.each([
    ['short hex', '0xfee00000 0xfeefffff msi'],
    ['uppercase hex', '0x00000000FEE00000 0x00000000FEEFFFFF msi'],
    ['missing type', '0x00000000fee00000 0x00000000feefffff'],
    ['extra field', '0x00000000fee00000 0x00000000feefffff msi x'],
    ['two spaces', '0x00000000fee00000  0x00000000feefffff msi'],
    ['carriage return', '0x00000000fee00000 0x00000000feefffff msi\r'],
    ['blank line', ''],
  ])('skips and reports a malformed line (%s) instead of guessing', (_case, line) => {
    const { regions, problems } = parseReservedRegions(`0x0000000000000000 0x0000000000000fff direct\n${line}\n`);

    expect(regions).toHaveLength(1);
    expect(problems).toEqual([{ severity: 'error', line: 2, message: expect.stringContaining('malformed') }]);
  });

  it('rejects a region that ends before it starts', () => {
    const { regions, problems } = parseReservedRegions('0x00000000fed00000 0x00000000fecfffff reserved\n');

    expect(regions).toEqual([]);
    expect(problems[0]).toMatchObject({ severity: 'error', line: 1 });
  });
});
