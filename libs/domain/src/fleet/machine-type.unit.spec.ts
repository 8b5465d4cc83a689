// Downstream (RHEL) and legacy machine type names, and the layout rules each one follows. Layout
// numbers marked "QEMU 7.2" were read from qemu-system-x86_64 7.2.22 under TCG (`info mtree -f`,
// or the "phys-bits too low" message it prints with -cpu qemu64,phys-bits=33).
import { describe, expect, it } from 'vitest';
import { deriveMemoryMap, guestSchema, parseMachineType, type GuestInput } from '@ferry/domain';

const GiB = 1n << 30n;

const issuesOf = (guest: Partial<GuestInput>) => {
  const result = guestSchema.safeParse({ id: 'vm-1', host: 'host-a', cpuVendor: 'intel', ...guest });
  return result.success ? [] : result.error.issues.map((issue) => ({ path: issue.path, message: issue.message }));
};
const ramOf = (machine: string, ram: bigint, cpuVendor: 'intel' | 'amd' = 'intel', physBits = 48) =>
  deriveMemoryMap({ machine, cpuVendor, memory: { ram, slots: 0 }, physBits })
    .filter((e) => e.kind === 'ram')
    .map((e) => [e.start, e.end]);

describe('RHEL machine types follow the upstream release RHEL rebased onto', () => {
  it.each([
    ['pc-q35-rhel9.4.0', 'pc-q35', [8, 2]],
    ['pc-q35-rhel9.2.0', 'pc-q35', [7, 2]],
    ['pc-q35-rhel9.0.0', 'pc-q35', [6, 2]],
    ['pc-q35-rhel8.6.0', 'pc-q35', [6, 2]],
    ['pc-i440fx-rhel7.6.0', 'pc-i440fx', [2, 12]],
    ['pc-i440fx-rhel7.0.0', 'pc-i440fx', [1, 5]],
    ['virt-rhel9.4.0', 'virt', [8, 2]],
    ['s390-ccw-virtio-rhel9.4.0', 's390-ccw-virtio', [8, 2]],
  ] as const)('%s is %s with the layout of upstream %o', (name, family, version) => {
    expect(parseMachineType(name)).toEqual({ name, family, version, downstream: name.slice(name.indexOf('rhel')) });
    const cpuVendor = family === 'virt' ? 'arm' : family.startsWith('pc') ? 'intel' : 'ibm';
    expect(issuesOf({ machine: name, memory: { ram: '4GiB' }, cpuVendor })).toEqual([]);
  });

  it('enforces the AMD 1 TiB hole from rhel9.2.0 (QEMU 7.2 base) but not on rhel9.0.0 (6.2 base)', () => {
    // 1020 GiB, AMD: 2 GiB low; above-4G RAM at 4 GiB (no relocation) or at 1 TiB (relocated).
    expect(ramOf('pc-q35-rhel9.0.0', 1020n * GiB, 'amd')[1]).toEqual([4n * GiB, 1022n * GiB - 1n]);
    expect(ramOf('pc-q35-rhel9.2.0', 1020n * GiB, 'amd')[1]).toEqual([1024n * GiB, 2042n * GiB - 1n]);
  });

  it('refuses a RHEL release that never shipped a machine type, naming the field', () => {
    expect(parseMachineType('pc-q35-rhel9.3.0')).toBeUndefined();
    expect(issuesOf({ machine: 'pc-q35-rhel9.3.0', memory: { ram: '4GiB' } })[0]?.path).toEqual(['machine']);
  });
});

describe('legacy pc-0.x / pc-1.x names are i440fx with the pre-2.0 layout', () => {
  it.each(['pc-0.15', 'pc-1.0', 'pc-1.3'])(
    '%s keeps 3.5 GiB low, as QEMU 7.2 does for pc-i440fx-1.4 … 1.7',
    (machine) => {
      // QEMU 7.2, pc-i440fx-1.7 -m 3584M: pc.ram 0x0–0xdfffffff, nothing above 4 GiB (no gigabyte_align).
      expect(parseMachineType(machine)).toMatchObject({ family: 'pc-i440fx' });
      expect(ramOf(machine, 3584n * 1024n * 1024n)).toEqual([[0n, 0xdfff_ffffn]]);
      expect(issuesOf({ machine, memory: { ram: '3584MiB' } })).toEqual([]);
    },
  );

  it('pc-i440fx-2.0 splits at 3 GiB instead (QEMU 7.2: 0x0–0xbfffffff and 0x100000000–0x11fffffff)', () => {
    expect(ramOf('pc-i440fx-2.0', 3584n * 1024n * 1024n)).toEqual([
      [0n, 0xbfff_ffffn],
      [0x1_0000_0000n, 0x1_1fff_ffffn],
    ]);
  });

  it('refuses maxmem/slots before 2.1 with QEMU’s message', () => {
    // QEMU 7.2: "-memory 'slots|maxmem'" is not supported by: pc-i440fx-2.0
    const issues = issuesOf({ machine: 'pc-i440fx-2.0', memory: { ram: '2GiB', max: '8GiB', slots: 2 } });
    expect(issues).toEqual([
      {
        path: ['memory'],
        message: expect.stringContaining(`"-memory 'slots|maxmem'" is not supported by: pc-i440fx-2.0`),
      },
    ]);
    expect(issuesOf({ machine: 'pc-1.2', memory: { ram: '2GiB', max: '8GiB', slots: 2 } })[0]?.path).toEqual([
      'memory',
    ]);
  });
});

describe('device memory and the 64-bit hole on 2.x machine types (QEMU 7.2, -m 2G,slots=2,maxmem=8G)', () => {
  it('pc-q35-2.4 starts hole64 at the device-memory base (broken_reserved_end): limit message 0x8ffffffff', () => {
    const issues = issuesOf({ machine: 'pc-q35-2.4', memory: { ram: '2GiB', max: '8GiB', slots: 2 }, physBits: 33 });
    expect(issues[0]?.message).toContain('Address space limit 0x1ffffffff < 0x8ffffffff phys-bits too low (33)');
  });

  it('pc-q35-2.5 starts it after device memory: 0xaffffffff', () => {
    const issues = issuesOf({ machine: 'pc-q35-2.5', memory: { ram: '2GiB', max: '8GiB', slots: 2 }, physBits: 33 });
    expect(issues[0]?.message).toContain('Address space limit 0x1ffffffff < 0xaffffffff phys-bits too low (33)');
  });

  it.each(['pc-i440fx-2.1', 'pc-i440fx-2.4'])(
    '%s fits 33 bits (hole64 at 4 GiB, 2 GiB long), so QEMU starts it',
    (machine) => {
      expect(issuesOf({ machine, memory: { ram: '2GiB', max: '8GiB', slots: 2 }, physBits: 33 })).toEqual([]);
    },
  );
});
