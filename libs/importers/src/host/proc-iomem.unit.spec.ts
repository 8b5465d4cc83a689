import { describe, expect, it } from 'vitest';
import { parseBridgeWindows } from './proc-iomem.js';

const ranges = (text: string) => parseBridgeWindows(text).windows.map((w) => [BigInt(w.start), BigInt(w.end)]);

describe('parseBridgeWindows', () => {
  it('takes top-level "PCI Bus" windows with inclusive ends and ignores nested bridges and RAM', () => {
    const text = [
      '00001000-0009ffff : System RAM',
      '90000000-9d7fffff : PCI Bus 0000:00',
      '  90000000-900fffff : PCI Bus 0000:02',
      '    90000000-9000ffff : 0000:02:00.1',
      '100000000-607fffffff : System RAM',
      '38000000000-383ffffffff : PCI Bus 0000:00',
      '',
    ].join('\n');

    expect(ranges(text)).toEqual([
      [0x90000000n, 0x9d7fffffn],
      [0x38000000000n, 0x383ffffffffn],
    ]);
  });

  it('takes device-tree host-bridge windows (POWER, Arm DT), which are not named "PCI Bus"', () => {
    const text = [
      '600c000000000-600c07ffeffff : /pciex@600c3c0000000',
      '  600c000000000-600c07ffeffff : PCI Bus 0000:01',
      '10000000-3efeffff : pcie@10000000',
      '',
    ].join('\n');

    expect(ranges(text)).toEqual([
      [0x600c000000000n, 0x600c07ffeffffn],
      [0x10000000n, 0x3efeffffn],
    ]);
  });

  it('does not mistake a bus window nested under an ECAM claim for a host-bridge window', () => {
    const text =
      'eec00000-febfffff : Reserved\n  eec00000-eecfffff : PCI ECAM 0000 [bus 00-00]\n    eec00000-eecfffff : PCI Bus 0000:00\n';
    expect(ranges(text)).toEqual([]);
  });

  it('reports malformed and reversed lines with their line numbers and skips them', () => {
    const { windows, problems } = parseBridgeWindows(
      '90000000-9fffffff : PCI Bus 0000:00\nnot an iomem line\nfe000000-fdffffff : PCI Bus 0000:00\n',
    );

    expect(windows).toHaveLength(1);
    expect(problems.map((p) => [p.severity, p.line])).toEqual([
      ['error', 2],
      ['error', 3],
    ]);
  });

  it('rejects addresses beyond 64 bits', () => {
    const { windows, problems } = parseBridgeWindows('10000000000000000-1ffffffffffffffff : PCI Bus 0000:00\n');
    expect(windows).toEqual([]);
    expect(problems[0]).toMatchObject({ severity: 'error', line: 1 });
  });

  it('warns that windows are incomplete when a non-root reader got zeroed addresses', () => {
    const { windows, problems } = parseBridgeWindows(
      '00000000-00000000 : PCI Bus 0000:00\n00000000-00000000 : System RAM\n',
    );

    expect(windows).toEqual([]);
    expect(problems).toEqual([{ severity: 'warning', message: expect.stringContaining('non-root') }]);
  });
});
