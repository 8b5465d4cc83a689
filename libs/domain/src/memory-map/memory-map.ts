// Guest-physical memory layouts as QEMU builds them (docs/domain.md#guest-layouts). The map is derived once, when a
// guest is defined, and recorded in its stream: migration rebuilds the identical map on every later
// host (docs/domain.md#migrate-then-hotplug): that is why a later VFIO hot-plug can hit its reserved regions.
import { alignUp, GiB, MiB, TiB } from '../address/address.js';
import type { AddressRange } from '../address/range.js';
import type { CpuVendor } from '../fleet/host-schema.js';
import type { GuestMemory, MemoryMapEntry } from '../fleet/guest-schema.js';
import { machineAtLeast, parseMachineType, type MachineType } from '../fleet/machine-type.js';

export interface MemoryMapInput {
  machine: string;
  cpuVendor: CpuVendor;
  memory: GuestMemory;
  physBits: number;
}

const FOUR_GIB = 4n * GiB;
/** AMD HyperTransport range the IOMMU reports as reserved (docs/domain.md#amd-ht-hole). */
export const AMD_HT_HOLE: AddressRange = { start: 0xfd_0000_0000n, end: 0xff_ffff_ffffn };
const AMD_ABOVE_1TB_START = 1n * TiB;

function entry(start: bigint, size: bigint, kind: MemoryMapEntry['kind'], label: string): MemoryMapEntry {
  return { start, end: start + size - 1n, kind, label };
}

/** `maxmem − ram + 1 GiB × slots` (pc_get_device_memory_range / virt.c); absent without hot-plug. */
function deviceMemorySize(memory: GuestMemory, perSlot: bigint): bigint {
  const max = memory.max ?? memory.ram;
  if (max <= memory.ram && memory.slots === 0) return 0n;
  return max - memory.ram + BigInt(memory.slots) * perSlot;
}

export function deriveMemoryMap(input: MemoryMapInput): MemoryMapEntry[] {
  const machine = parseMachineType(input.machine);
  if (!machine) throw new Error(`unknown machine type ${input.machine}`);
  switch (machine.family) {
    case 'pc-q35':
      return pcLayout(input, machine, {
        lowmemSplitAt: 0xb000_0000n,
        lowmemWhenLarge: 0x8000_0000n,
        hole64Size: 32n * GiB,
      });
    case 'pc-i440fx':
      return pcLayout(input, machine, {
        lowmemSplitAt: 0xe000_0000n,
        lowmemWhenLarge: 0xc000_0000n,
        hole64Size: 2n * GiB,
      });
    case 'virt':
      return virtLayout(input);
    case 'pseries':
      return pseriesLayout(input);
    case 's390-ccw-virtio':
      return flatLayout(input);
  }
}

interface PcLayoutParameters {
  /** RAM at or above this size is split at `lowmemWhenLarge`; below it all RAM fits under the PCI hole. */
  lowmemSplitAt: bigint;
  lowmemWhenLarge: bigint;
  hole64Size: bigint;
}

// hw/i386/pc_q35.c, pc_piix.c (gigabyte_align) and pc.c (pc_memory_init, pc_pci_hole64_start).
function pcLayout(input: MemoryMapInput, machine: MachineType, params: PcLayoutParameters): MemoryMapEntry[] {
  const { ram } = input.memory;
  const lowmem = ram >= params.lowmemSplitAt ? params.lowmemWhenLarge : params.lowmemSplitAt;
  const below4g = ram < lowmem ? ram : lowmem;
  const above4g = ram - below4g;
  const deviceMemory = deviceMemorySize(input.memory, GiB);

  const layoutFrom = (above4gStart: bigint) => {
    const deviceBase = alignUp(above4gStart + above4g, GiB);
    const hole64Start = alignUp(deviceMemory > 0n ? deviceBase + deviceMemory : above4gStart + above4g, GiB);
    return { deviceBase, hole64Start, maxUsed: hole64Start + params.hole64Size - 1n };
  };

  let above4gStart = FOUR_GIB;
  const amdHoleEnforced = machineAtLeast(machine, 7, 1) && input.cpuVendor === 'amd';
  // QEMU ≥ 7.1 moves above-4G RAM to 1 TiB for AMD vCPUs when the layout would reach the HT hole.
  if (amdHoleEnforced && layoutFrom(FOUR_GIB).maxUsed >= AMD_HT_HOLE.start) above4gStart = AMD_ABOVE_1TB_START;
  const { deviceBase, hole64Start } = layoutFrom(above4gStart);

  const entries: MemoryMapEntry[] = [entry(0n, below4g, 'ram', 'pc.ram below 4G')];
  entries.push({ start: below4g, end: 0xfebf_ffffn, kind: 'pci-hole', label: '32-bit PCI hole and MMCONFIG' });
  entries.push({ start: 0xfec0_0000n, end: 0xffff_ffffn, kind: 'mmio', label: 'IOAPIC, LAPIC/MSI, BIOS' });
  if (above4g > 0n) entries.push(entry(above4gStart, above4g, 'ram', 'pc.ram above 4G'));
  if (amdHoleEnforced && input.physBits >= 40)
    entries.push({ ...AMD_HT_HOLE, kind: 'reserved', label: 'AMD HyperTransport (E820 reserved)' });
  if (deviceMemory > 0n)
    entries.push(entry(deviceBase, deviceMemory, 'device-memory', 'device memory (DIMM, virtio-mem)'));
  entries.push(entry(hole64Start, params.hole64Size, 'pci-hole', '64-bit PCI hole'));
  return sortEntries(entries);
}

// hw/arm/virt.c: the base memmap below 1 GiB, RAM at 1 GiB, then device memory and the high IO area.
function virtLayout(input: MemoryMapInput): MemoryMapEntry[] {
  const ramBase = GiB;
  const { ram } = input.memory;
  const entries: MemoryMapEntry[] = [
    { start: 0n, end: 0x07ff_ffffn, kind: 'mmio', label: 'flash' },
    { start: 0x0800_0000n, end: 0x0fff_ffffn, kind: 'mmio', label: 'GIC, ITS, UART, RTC' },
    { start: 0x1000_0000n, end: 0x3eff_ffffn, kind: 'pci-hole', label: 'PCIe MMIO' },
    { start: 0x3f00_0000n, end: 0x3fff_ffffn, kind: 'mmio', label: 'PCIe ECAM' },
    entry(ramBase, ram, 'ram', 'mach-virt.ram'),
  ];
  const deviceMemory = deviceMemorySize(input.memory, GiB);
  const deviceBase = alignUp(ramBase + ram, GiB);
  if (deviceMemory > 0n)
    entries.push(entry(deviceBase, deviceMemory, 'device-memory', 'device memory (DIMM, virtio-mem)'));
  // The high IO area starts no lower than 256 GiB; each region is aligned to its own size.
  const memTop = deviceMemory > 0n ? deviceBase + deviceMemory : ramBase + ram;
  let base = alignUp(memTop, GiB) > 256n * GiB ? alignUp(memTop, GiB) : 256n * GiB;
  for (const [size, kind, label] of [
    [64n * MiB, 'mmio', 'GIC redistributors (high)'],
    [256n * MiB, 'mmio', 'PCIe ECAM (high)'],
    [512n * GiB, 'pci-hole', 'PCIe MMIO (high)'],
  ] as const) {
    base = alignUp(base, size);
    entries.push(entry(base, size, kind, label));
    base += size;
  }
  return sortEntries(entries);
}

// hw/ppc/spapr.c: RAM from 0, hot-plug region 1 GiB-aligned after it, PHB windows at 32–64 TiB.
function pseriesLayout(input: MemoryMapInput): MemoryMapEntry[] {
  const entries = flatLayout(input);
  entries.push({ start: 32n * TiB, end: 64n * TiB - 1n, kind: 'pci-hole', label: 'PHB MMIO windows' });
  return sortEntries(entries);
}

function flatLayout(input: MemoryMapInput): MemoryMapEntry[] {
  const { ram } = input.memory;
  const entries: MemoryMapEntry[] = [entry(0n, ram, 'ram', 'ram')];
  const hotplug = (input.memory.max ?? ram) - ram;
  if (hotplug > 0n) entries.push(entry(alignUp(ram, GiB), hotplug, 'device-memory', 'hot-plug memory region'));
  return entries;
}

function sortEntries(entries: MemoryMapEntry[]): MemoryMapEntry[] {
  return entries.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** The ranges VFIO maps at IOVA = GPA: RAM, plus device memory when RAM may be hot-plugged into it. */
export function dmaMappedRanges(map: readonly MemoryMapEntry[]): AddressRange[] {
  return map.filter((e) => e.kind === 'ram' || e.kind === 'device-memory').map(({ start, end }) => ({ start, end }));
}

export function highestAddress(map: readonly MemoryMapEntry[]): bigint {
  return map.reduce((max, e) => (e.end > max ? e.end : max), 0n);
}
