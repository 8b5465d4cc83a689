// Guest-physical layouts (docs/domain.md#guest-layouts). Every expected address below is computed by hand from the
// QEMU rules quoted in the comments, never copied from deriveMemoryMap's output.
import { describe, expect, it } from 'vitest';
import {
  decideGuest,
  deriveMemoryMap,
  dmaMappedRanges,
  guestSchema,
  highestAddress,
  type CpuVendor,
  type GuestDefinedData,
  type GuestInput,
  type MemoryMapEntry,
} from '@ferry/domain';

const MiB = 1n << 20n;
const GiB = 1n << 30n;
const TiB = 1n << 40n;

/** AMD HyperTransport window reported reserved by AMD-Vi (docs/domain.md#amd-ht-hole): 1012 GiB .. 1 TiB − 1. */
const HT_START = 0xfd_0000_0000n;
const HT_END = 0xff_ffff_ffffn;

interface Layout {
  machine: string;
  cpuVendor?: CpuVendor;
  ram: bigint;
  max?: bigint;
  slots?: number;
  physBits?: number;
}

const derive = ({ machine, cpuVendor = 'intel', ram, max, slots = 0, physBits = 40 }: Layout) =>
  deriveMemoryMap({ machine, cpuVendor, memory: { ram, max, slots }, physBits });

const ranges = (map: readonly MemoryMapEntry[], kind: MemoryMapEntry['kind']) =>
  map.filter((e) => e.kind === kind).map((e) => [e.start, e.end]);

const overlaps = (a: { start: bigint; end: bigint }, start: bigint, end: bigint) => a.start <= end && start <= a.end;

describe('q35: RAM below and above 4 GiB (pc_q35.c: lowmem = ram ≥ 0xB0000000 ? 2 GiB : 0xB0000000)', () => {
  it.each([
    // 1 GiB < 0xB0000000: everything fits below the 32-bit PCI hole.
    { name: '1 GiB', ram: 1n * GiB, expected: [[0n, 0x3fff_ffffn]] },
    // 0xAFF00000 is 1 MiB short of the split threshold: still all low.
    { name: '0xAFF00000 (just below the split)', ram: 0xaff0_0000n, expected: [[0n, 0xafef_ffffn]] },
    // exactly 0xB0000000: split at 2 GiB, remainder 0x30000000 at 4 GiB → [0x1_0000_0000, 0x1_2fff_ffff].
    {
      name: '0xB0000000 (the split threshold)',
      ram: 0xb000_0000n,
      expected: [
        [0n, 0x7fff_ffffn],
        [0x1_0000_0000n, 0x1_2fff_ffffn],
      ],
    },
    // 3 GiB: 2 GiB low, 1 GiB from 4 GiB → [4 GiB, 5 GiB − 1].
    {
      name: '3 GiB',
      ram: 3n * GiB,
      expected: [
        [0n, 0x7fff_ffffn],
        [0x1_0000_0000n, 0x1_3fff_ffffn],
      ],
    },
    // 64 GiB: 2 GiB low, 62 GiB from 4 GiB → end 66 GiB − 1 = 0x10_7fff_ffff.
    {
      name: '64 GiB',
      ram: 64n * GiB,
      expected: [
        [0n, 0x7fff_ffffn],
        [0x1_0000_0000n, 0x10_7fff_ffffn],
      ],
    },
  ])('$name', ({ ram, expected }) => {
    const map = derive({ machine: 'pc-q35-7.2', ram });
    expect(ranges(map, 'ram')).toEqual(expected);
    // The 32-bit PCI hole starts where low RAM ends; LAPIC/MSI at 0xFEE00000 is never RAM (docs/domain.md#layout-x86).
    for (const r of map.filter((e) => e.kind === 'ram')) expect(overlaps(r, 0xfee0_0000n, 0xfeef_ffffn)).toBe(false);
    const lowEnd = expected[0]![1]!;
    expect(map.some((e) => e.kind === 'pci-hole' && e.start === lowEnd + 1n)).toBe(true);
  });

  it('has no device-memory region without maxmem or slots', () => {
    expect(ranges(derive({ machine: 'pc-q35-7.2', ram: 16n * GiB }), 'device-memory')).toEqual([]);
  });

  it('puts the 64-bit PCI hole (32 GiB on q35) right after above-4G RAM', () => {
    // 16 GiB: above-4G RAM ends at 18 GiB → hole64 [18 GiB, 50 GiB − 1].
    const map = derive({ machine: 'pc-q35-7.2', ram: 16n * GiB });
    expect(ranges(map, 'pci-hole')).toContainEqual([18n * GiB, 50n * GiB - 1n]);
    expect(highestAddress(map)).toBe(50n * GiB - 1n);
  });
});

describe('i440fx: RAM below and above 4 GiB (pc_piix.c: ram ≥ 0xE0000000 → lowmem 3 GiB, gigabyte_align)', () => {
  it.each([
    // 3 GiB is below 0xE0000000: on i440fx it all stays low (q35 would split it at 2 GiB).
    { name: '3 GiB', ram: 3n * GiB, expected: [[0n, 0xbfff_ffffn]] },
    { name: '0xDFF00000 (just below the split)', ram: 0xdff0_0000n, expected: [[0n, 0xdfef_ffffn]] },
    // 3.5 GiB = 0xE0000000: 3 GiB low, 512 MiB at 4 GiB → [0x1_0000_0000, 0x1_1fff_ffff].
    {
      name: '3.5 GiB (the split threshold)',
      ram: 0xe000_0000n,
      expected: [
        [0n, 0xbfff_ffffn],
        [0x1_0000_0000n, 0x1_1fff_ffffn],
      ],
    },
    // 16 GiB: 3 GiB low, 13 GiB from 4 GiB → end 17 GiB − 1 = 0x4_3fff_ffff.
    {
      name: '16 GiB',
      ram: 16n * GiB,
      expected: [
        [0n, 0xbfff_ffffn],
        [0x1_0000_0000n, 0x4_3fff_ffffn],
      ],
    },
  ])('$name', ({ ram, expected }) => {
    expect(ranges(derive({ machine: 'pc-i440fx-8.2', ram }), 'ram')).toEqual(expected);
  });
});

describe('q35: the AMD 1 TiB hole (pc.c pc_memory_init, enforce_amd_1tb_hole for machine types ≥ 7.1)', () => {
  // Relocation happens when pc_max_used_gpa = ROUND_UP(above-4G end [+ device memory], 1 GiB) + hole64 (32 GiB) − 1
  // reaches 0xFD00000000 (1012 GiB). Then above-4G RAM starts at AMD_ABOVE_1TB_START = 0x100_0000_0000.

  it('moves above-4G RAM to 1 TiB and reserves the HT range for an AMD vCPU on pc-q35-7.1 (ram 1000 GiB)', () => {
    // 2 GiB low + 998 GiB high; from 4 GiB the hole64 would end at 1002 + 32 − 1 = 1033 GiB ≥ 1012 GiB → relocate.
    // Relocated: [1 TiB, 1 TiB + 998 GiB − 1] = [0x100_0000_0000, 0x1f9_7fff_ffff].
    const map = derive({ machine: 'pc-q35-7.1', cpuVendor: 'amd', ram: 1000n * GiB, physBits: 48 });
    expect(ranges(map, 'ram')).toEqual([
      [0n, 0x7fff_ffffn],
      [0x100_0000_0000n, 0x1f9_7fff_ffffn],
    ]);
    expect(ranges(map, 'reserved')).toEqual([[HT_START, HT_END]]);
    for (const r of dmaMappedRanges(map)) expect(overlaps(r, HT_START, HT_END)).toBe(false);
  });

  it('keeps above-4G RAM at 4 GiB on pc-q35-7.0 even for an AMD vCPU, and marks nothing reserved (ram 1000 GiB)', () => {
    // 998 GiB from 4 GiB ends at 1002 GiB − 1 = 0xfa_7fff_ffff; the 64-bit hole [1002 GiB, 1034 GiB) crosses the HT range.
    const map = derive({ machine: 'pc-q35-7.0', cpuVendor: 'amd', ram: 1000n * GiB, physBits: 48 });
    expect(ranges(map, 'ram')).toEqual([
      [0n, 0x7fff_ffffn],
      [0x1_0000_0000n, 0xfa_7fff_ffffn],
    ]);
    expect(ranges(map, 'reserved')).toEqual([]);
    expect(ranges(map, 'pci-hole')).toContainEqual([1002n * GiB, 1034n * GiB - 1n]);
    expect(highestAddress(map)).toBeGreaterThanOrEqual(HT_START);
  });

  it.each([
    { name: 'pc-q35-7.0 with an AMD vCPU', machine: 'pc-q35-7.0', cpuVendor: 'amd' as const },
    { name: 'pc-q35-7.1 with an Intel vCPU', machine: 'pc-q35-7.1', cpuVendor: 'intel' as const },
    {
      name: 'pc-q35-8.2 with an Intel vCPU (the decision follows the vCPU vendor)',
      machine: 'pc-q35-8.2',
      cpuVendor: 'intel' as const,
    },
  ])('lets above-4G RAM cross 0xFD00000000 on $name (ram 1020 GiB)', ({ machine, cpuVendor }) => {
    // 1018 GiB from 4 GiB → [0x1_0000_0000, 1022 GiB − 1 = 0xff_7fff_ffff]: straddles [0xfd00000000, 0xffffffffff].
    const map = derive({ machine, cpuVendor, ram: 1020n * GiB, physBits: 48 });
    expect(ranges(map, 'ram')).toEqual([
      [0n, 0x7fff_ffffn],
      [0x1_0000_0000n, 0xff_7fff_ffffn],
    ]);
    expect(ranges(map, 'reserved')).toEqual([]);
    expect(dmaMappedRanges(map).some((r) => overlaps(r, HT_START, HT_END))).toBe(true);
  });

  it('relocates ram 1020 GiB past the hole on pc-q35-7.1 with an AMD vCPU', () => {
    // [1 TiB, 1 TiB + 1018 GiB − 1] = [0x100_0000_0000, 0x1fe_7fff_ffff].
    const map = derive({ machine: 'pc-q35-7.1', cpuVendor: 'amd', ram: 1020n * GiB, physBits: 48 });
    expect(ranges(map, 'ram')).toEqual([
      [0n, 0x7fff_ffffn],
      [0x100_0000_0000n, 0x1fe_7fff_ffffn],
    ]);
  });

  it.each([
    // ram 978 GiB: hole64 at 980 GiB, max used 1012 GiB − 1 = 0xfc_ffff_ffff < 0xfd_0000_0000 → stays at 4 GiB.
    { ram: 978n * GiB, aboveStart: 4n * GiB, aboveEnd: 980n * GiB - 1n },
    // ram 979 GiB: max used 1013 GiB − 1 ≥ 0xfd_0000_0000 → relocated to 1 TiB; 977 GiB there.
    { ram: 979n * GiB, aboveStart: 1n * TiB, aboveEnd: 1n * TiB + 977n * GiB - 1n },
  ])('decides on the highest used GPA including the 64-bit hole: ram $ram', ({ ram, aboveStart, aboveEnd }) => {
    const map = derive({ machine: 'pc-q35-7.1', cpuVendor: 'amd', ram, physBits: 48 });
    expect(ranges(map, 'ram')[1]).toEqual([aboveStart, aboveEnd]);
  });

  it.each([
    // i440fx: 3 GiB low and a 2 GiB 64-bit hole (I440FX_PCI_HOST_HOLE64_SIZE_DEFAULT = 1 << 31).
    // ram 1009 GiB: 1006 GiB from 4 GiB ends at 1010 GiB; max used 1012 GiB − 1 < 0xfd_0000_0000 → stays.
    { ram: 1009n * GiB, aboveStart: 4n * GiB, aboveEnd: 1010n * GiB - 1n },
    // ram 1010 GiB: max used 1013 GiB − 1 ≥ 0xfd_0000_0000 → 1007 GiB at 1 TiB.
    { ram: 1010n * GiB, aboveStart: 1n * TiB, aboveEnd: 1n * TiB + 1007n * GiB - 1n },
  ])('applies the same rule to pc-i440fx-7.1 with its 2 GiB 64-bit hole: ram $ram', ({ ram, aboveStart, aboveEnd }) => {
    const map = derive({ machine: 'pc-i440fx-7.1', cpuVendor: 'amd', ram, physBits: 48 });
    expect(ranges(map, 'ram')).toEqual([
      [0n, 0xbfff_ffffn],
      [aboveStart, aboveEnd],
    ]);
  });

  it('counts device memory toward the highest used GPA', () => {
    // ram 16 GiB, max 1000 GiB, 4 slots: from 4 GiB RAM ends at 18 GiB, device memory 984 + 4 = 988 GiB → 1006 GiB,
    // hole64 to 1038 GiB − 1 ≥ 1012 GiB → relocate: RAM [1 TiB, 1 TiB + 14 GiB − 1], device memory at 1038 GiB.
    const map = derive({
      machine: 'pc-q35-7.1',
      cpuVendor: 'amd',
      ram: 16n * GiB,
      max: 1000n * GiB,
      slots: 4,
      physBits: 48,
    });
    expect(ranges(map, 'ram')[1]).toEqual([1n * TiB, 1n * TiB + 14n * GiB - 1n]);
    expect(ranges(map, 'device-memory')).toEqual([[1038n * GiB, 1038n * GiB + 988n * GiB - 1n]]);
  });

  it('marks the HT range reserved for an AMD vCPU on ≥ 7.1 with phys-bits ≥ 40 even without relocating', () => {
    // QEMU adds the E820 entry whenever cpu->phys_bits >= 40, independent of the relocation.
    const small = derive({ machine: 'pc-q35-7.1', cpuVendor: 'amd', ram: 16n * GiB, physBits: 40 });
    expect(ranges(small, 'ram')[1]).toEqual([4n * GiB, 18n * GiB - 1n]);
    expect(ranges(small, 'reserved')).toEqual([[HT_START, HT_END]]);
    // phys-bits 39 cannot address the HT range, so nothing is reserved.
    expect(
      ranges(derive({ machine: 'pc-q35-7.1', cpuVendor: 'amd', ram: 16n * GiB, physBits: 39 }), 'reserved'),
    ).toEqual([]);
  });
});

describe('q35 device memory (pc_get_device_memory_range: base = ROUND_UP(above-4G end, 1 GiB), size = max − ram + 1 GiB × slots)', () => {
  it.each([
    // ram 16 GiB → above-4G ends at 18 GiB; size 48 + 4 = 52 GiB → [18 GiB, 70 GiB − 1] = [0x4_8000_0000, 0x11_7fff_ffff].
    {
      name: 'ram 16 GiB, max 64 GiB, 4 slots',
      ram: 16n * GiB,
      max: 64n * GiB,
      slots: 4,
      expected: [0x4_8000_0000n, 0x11_7fff_ffffn],
    },
    // ram 1 GiB has no above-4G RAM: base = ROUND_UP(4 GiB + 0) = 4 GiB; size 3 + 2 = 5 GiB → [4 GiB, 9 GiB − 1].
    {
      name: 'ram 1 GiB, max 4 GiB, 2 slots',
      ram: 1n * GiB,
      max: 4n * GiB,
      slots: 2,
      expected: [0x1_0000_0000n, 0x2_3fff_ffffn],
    },
    // ram 6.5 GiB → above-4G [4 GiB, 8.5 GiB); base ROUND_UP(8.5 GiB) = 9 GiB; size 2 + 1 = 3 GiB → [9 GiB, 12 GiB − 1].
    {
      name: 'ram 6.5 GiB (unaligned end), max 8.5 GiB, 1 slot',
      ram: 6n * GiB + 512n * MiB,
      max: 8n * GiB + 512n * MiB,
      slots: 1,
      expected: [0x2_4000_0000n, 0x2_ffff_ffffn],
    },
    // maxmem with no slots: size = max − ram = 16 GiB → [18 GiB, 34 GiB − 1].
    {
      name: 'ram 16 GiB, max 32 GiB, 0 slots',
      ram: 16n * GiB,
      max: 32n * GiB,
      slots: 0,
      expected: [18n * GiB, 34n * GiB - 1n],
    },
  ])('$name', ({ ram, max, slots, expected }) => {
    const map = derive({ machine: 'pc-q35-7.2', ram, max, slots });
    expect(ranges(map, 'device-memory')).toEqual([expected]);
    // The 64-bit PCI hole follows device memory, 1 GiB aligned (pc_pci_hole64_start).
    const hole64 = map.find((e) => e.kind === 'pci-hole' && e.start >= 4n * GiB)!;
    expect(hole64.start).toBe(expected[1]! + 1n);
  });
});

describe('ppc64 pseries (hw/ppc/spapr.c)', () => {
  it('keeps RAM contiguous from 0 with the PHB windows at 32–64 TiB', () => {
    const map = derive({ machine: 'pseries-8.2', cpuVendor: 'ibm', ram: 8n * GiB });
    expect(ranges(map, 'ram')).toEqual([[0n, 0x1_ffff_ffffn]]);
    expect(ranges(map, 'device-memory')).toEqual([]);
    expect(ranges(map, 'pci-hole')).toEqual([[32n * TiB, 64n * TiB - 1n]]);
  });

  it.each([
    // SPAPR_DEVICE_MEM_ALIGN = 1 GiB; size = maxram − ram (no per-slot padding on sPAPR).
    { name: 'ram 8 GiB, max 16 GiB', ram: 8n * GiB, max: 16n * GiB, expected: [8n * GiB, 16n * GiB - 1n] },
    // ram 8.5 GiB → base ROUND_UP(8.5 GiB, 1 GiB) = 9 GiB, size 7.5 GiB → [9 GiB, 16.5 GiB − 1].
    {
      name: 'ram 8.5 GiB, max 16 GiB',
      ram: 8n * GiB + 512n * MiB,
      max: 16n * GiB,
      expected: [9n * GiB, 16n * GiB + 512n * MiB - 1n],
    },
  ])('puts the hot-plug region 1 GiB-aligned after RAM: $name', ({ ram, max, expected }) => {
    const map = derive({ machine: 'pseries-8.2', cpuVendor: 'ibm', ram, max, slots: 4 });
    expect(ranges(map, 'ram')).toEqual([[0n, ram - 1n]]);
    expect(ranges(map, 'device-memory')).toEqual([expected]);
  });
});

describe('dmaMappedRanges: what VFIO maps at IOVA = GPA', () => {
  it('returns RAM and device memory only, never holes, MMIO or reserved ranges', () => {
    // q35-7.2 AMD 16 GiB / max 64 GiB / 4 slots: low RAM, above-4G RAM [4, 18) GiB, device memory [18, 70) GiB.
    const map = derive({ machine: 'pc-q35-7.2', cpuVendor: 'amd', ram: 16n * GiB, max: 64n * GiB, slots: 4 });
    expect(map.some((e) => e.kind === 'reserved')).toBe(true);
    expect(dmaMappedRanges(map)).toEqual([
      { start: 0n, end: 0x7fff_ffffn },
      { start: 4n * GiB, end: 18n * GiB - 1n },
      { start: 18n * GiB, end: 70n * GiB - 1n },
    ]);
  });

  it('works on an explicit map with every kind of entry', () => {
    const map: MemoryMapEntry[] = [
      { start: 0n, end: 0x7fff_ffffn, kind: 'ram' },
      { start: 0x8000_0000n, end: 0xfebf_ffffn, kind: 'pci-hole' },
      { start: 0xfec0_0000n, end: 0xffff_ffffn, kind: 'mmio' },
      { start: 0x1_0000_0000n, end: 0x1_ffff_ffffn, kind: 'device-memory' },
      { start: HT_START, end: HT_END, kind: 'reserved' },
    ];
    expect(dmaMappedRanges(map)).toEqual([
      { start: 0n, end: 0x7fff_ffffn },
      { start: 0x1_0000_0000n, end: 0x1_ffff_ffffn },
    ]);
  });
});

describe('an explicit memoryMap overrides derivation', () => {
  const input = (memoryMap?: GuestInput['memoryMap']): GuestInput => ({
    id: 'vm-1',
    host: 'host-a',
    machine: 'pc-q35-7.2',
    cpuVendor: 'intel',
    memory: { ram: '16GiB' },
    ...(memoryMap ? { memoryMap } : {}),
  });
  const defined = (guest: GuestInput) =>
    decideGuest({ type: 'DefineGuest', guest: guestSchema.parse(guest) }, undefined)[0]!.data as GuestDefinedData;

  it('records the explicit map exactly, with memoryMapSource "explicit"', () => {
    // A layout QEMU would never derive for 16 GiB on q35 (3 GiB low), so it can only come from the input.
    const data = defined(
      input([
        { start: '0x0', end: '0xbfffffff', kind: 'ram' },
        { start: '0x100000000', end: '0x4ffffffff', kind: 'ram' },
      ]),
    );
    expect(data.memoryMapSource).toBe('explicit');
    expect(data.memoryMap).toEqual([
      { start: 0n, end: 0xbfff_ffffn, kind: 'ram' },
      { start: 0x1_0000_0000n, end: 0x4_ffff_ffffn, kind: 'ram' },
    ]);
  });

  it('derives the map, with memoryMapSource "derived", when none is given', () => {
    const data = defined(input());
    expect(data.memoryMapSource).toBe('derived');
    expect(ranges(data.memoryMap, 'ram')).toEqual([
      [0n, 0x7fff_ffffn],
      [4n * GiB, 18n * GiB - 1n],
    ]);
  });
});
