// Guest-physical memory layouts as QEMU builds them (docs/domain.md#guest-layouts). The map is derived once, when a
// guest is defined, and recorded in its stream: migration rebuilds the identical map on every later
// host (docs/domain.md#migrate-then-hotplug): that is why a later VFIO hot-plug can hit its reserved regions.
import { alignUp, GiB, TiB } from '../address/address.js';
import type { AddressRange } from '../address/range.js';
import type { CpuVendor } from '../fleet/host-schema.js';
import type { GuestMemory, MemoryMapEntry } from '../fleet/guest-schema.js';
import { parseMachineType, type MachineType } from '../fleet/machine-type.js';
import { armVirtLayout, armVirtRefusal } from './arm-virt-layout.js';
import { entry, sortEntries, type LayoutRefusal } from './layout-entries.js';
import { loongarchVirtLayout, riscvVirtLayout } from './other-virt-layouts.js';
import { pcLayout, pcRefusal } from './pc-layout.js';

export { AMD_HT_HOLE } from './pc-layout.js';
export type { LayoutRefusal } from './layout-entries.js';

export interface MemoryMapInput {
  machine: string;
  cpuVendor: CpuVendor;
  memory: GuestMemory;
  physBits: number;
  /** Where the family has several (virt): aarch64 unless said otherwise. */
  arch?: string | undefined;
}

function machineOf(input: MemoryMapInput): MachineType {
  const machine = parseMachineType(input.machine);
  if (!machine) throw new Error(`unknown machine type ${input.machine}`);
  return machine;
}

const isPc = (machine: MachineType): machine is MachineType & { family: 'pc-q35' | 'pc-i440fx' } =>
  machine.family === 'pc-q35' || machine.family === 'pc-i440fx';

export function deriveMemoryMap(input: MemoryMapInput): MemoryMapEntry[] {
  const machine = machineOf(input);
  switch (machine.family) {
    case 'pc-q35':
    case 'pc-i440fx':
      return pcLayout(input, { ...machine, family: machine.family });
    case 'virt':
      if (input.arch === 'riscv64') return riscvVirtLayout(input.memory);
      if (input.arch === 'loongarch64') return loongarchVirtLayout(input.memory);
      return armVirtLayout(input, machine);
    case 'pseries':
      return pseriesLayout(input);
    case 's390-ccw-virtio':
      return flatLayout(input);
  }
}

/** Why QEMU would refuse to start a guest so defined (its own error message), or undefined when it starts. */
export function layoutRefusal(input: MemoryMapInput): LayoutRefusal | undefined {
  const machine = machineOf(input);
  if (isPc(machine)) return pcRefusal(input, machine);
  if (machine.family === 'virt' && (input.arch ?? 'aarch64') === 'aarch64') return armVirtRefusal(input, machine);
  return undefined;
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

/** The ranges VFIO maps at IOVA = GPA: RAM, plus device memory when RAM may be hot-plugged into it. */
export function dmaMappedRanges(map: readonly MemoryMapEntry[]): AddressRange[] {
  return map.filter((e) => e.kind === 'ram' || e.kind === 'device-memory').map(({ start, end }) => ({ start, end }));
}

export function highestAddress(map: readonly MemoryMapEntry[]): bigint {
  return map.reduce((max, e) => (e.end > max ? e.end : max), 0n);
}
