// pc (i440fx) and q35 layouts as QEMU 7.2 builds them: hw/i386/pc_q35.c and pc_piix.c split RAM around
// the 32-bit PCI hole; hw/i386/pc.c places above-4G RAM, device memory and the 64-bit PCI hole.
import { alignUp, GiB, TiB } from '../address/address.js';
import type { AddressRange } from '../address/range.js';
import type { GuestMemory, MemoryMapEntry } from '../fleet/guest-schema.js';
import type { CpuVendor } from '../fleet/host-schema.js';
import { pcCompat, type PcCompat } from '../fleet/machine-compat.js';
import type { MachineType } from '../fleet/machine-type.js';
import { bitsToReach, entry, sortEntries, type LayoutRefusal } from './layout-entries.js';

export interface PcInput {
  cpuVendor: CpuVendor;
  memory: GuestMemory;
  physBits: number;
}

const FOUR_GIB = 4n * GiB;
/** AMD HyperTransport range the IOMMU reports as reserved: pc.c AMD_HT_START .. AMD_HT_END. */
export const AMD_HT_HOLE: AddressRange = { start: 0xfd_0000_0000n, end: 0xff_ffff_ffffn };
const AMD_ABOVE_1TB_START = 1n * TiB;
// hw/pci-host/q35.h Q35_PCI_HOST_HOLE64_SIZE_DEFAULT, hw/pci-host/i440fx.h I440FX_PCI_HOST_HOLE64_SIZE_DEFAULT.
const HOLE64_SIZE = { 'pc-q35': 32n * GiB, 'pc-i440fx': 2n * GiB } as const;

interface PcPlan {
  compat: PcCompat;
  below4g: bigint;
  above4g: bigint;
  above4gStart: bigint;
  device: { base: bigint; size: bigint } | undefined;
  hole64: { start: bigint; size: bigint };
  /** pc_max_used_gpa(): the end of the 64-bit hole, or the CPU's own limit when phys-bits ≤ 32. */
  maxUsed: bigint;
  amdHoleEnforced: boolean;
}

function lowMemory(family: 'pc-q35' | 'pc-i440fx', ram: bigint, compat: PcCompat): bigint {
  // pc_q35.c: lowmem = ram ≥ 0xb0000000 ? 0x80000000 : 0xb0000000.
  if (family === 'pc-q35') return ram >= 0xb000_0000n ? 0x8000_0000n : 0xb000_0000n;
  // pc_piix.c: max_ram_below_4g 0xe0000000, capped at 3 GiB when RAM reaches it and gigabyte_align is set.
  return ram >= 0xe000_0000n && compat.gigabyteAlign ? 0xc000_0000n : 0xe000_0000n;
}

function planPc(input: PcInput, machine: MachineType & { family: 'pc-q35' | 'pc-i440fx' }): PcPlan {
  const compat = pcCompat(machine);
  const { ram, slots } = input.memory;
  const max = input.memory.max ?? ram;
  const lowmem = lowMemory(machine.family, ram, compat);
  const below4g = ram >= lowmem ? lowmem : ram;
  const above4g = ram - below4g;
  const hole64Size = HOLE64_SIZE[machine.family];

  const placeFrom = (above4gStart: bigint) => {
    const above4gEnd = above4gStart + above4g;
    // pc_get_device_memory_range: base ROUND_UP(above-4G end, 1 GiB), size maxmem − ram (+ 1 GiB a slot).
    const device =
      compat.hasReservedMemory && max > ram
        ? {
            base: alignUp(above4gEnd, GiB),
            size: max - ram + (compat.enforceAlignedDimm ? BigInt(slots) * GiB : 0n),
          }
        : undefined;
    // pc_pci_hole64_start: after device memory (or at its base, broken_reserved_end), 1 GiB-aligned.
    const hole64Start = alignUp(device ? device.base + (compat.brokenReservedEnd ? 0n : device.size) : above4gEnd, GiB);
    const maxUsed = input.physBits <= 32 ? (1n << BigInt(input.physBits)) - 1n : hole64Start + hole64Size - 1n;
    return { above4gStart, device, hole64: { start: hole64Start, size: hole64Size }, maxUsed };
  };

  const amdHoleEnforced = compat.enforceAmd1tbHole && input.cpuVendor === 'amd';
  let placed = placeFrom(FOUR_GIB);
  // pc_memory_init: an AMD vCPU whose highest used GPA reaches the HT range gets above-4G RAM at 1 TiB.
  if (amdHoleEnforced && placed.maxUsed >= AMD_HT_HOLE.start) placed = placeFrom(AMD_ABOVE_1TB_START);
  return { compat, below4g, above4g, amdHoleEnforced, ...placed };
}

export function pcLayout(input: PcInput, machine: MachineType & { family: 'pc-q35' | 'pc-i440fx' }): MemoryMapEntry[] {
  const plan = planPc(input, machine);
  const entries: MemoryMapEntry[] = [entry(0n, plan.below4g, 'ram', 'pc.ram below 4G')];
  entries.push({ start: plan.below4g, end: 0xfebf_ffffn, kind: 'pci-hole', label: '32-bit PCI hole and MMCONFIG' });
  entries.push({ start: 0xfec0_0000n, end: 0xffff_ffffn, kind: 'mmio', label: 'IOAPIC, LAPIC/MSI, BIOS' });
  if (plan.above4g > 0n) entries.push(entry(plan.above4gStart, plan.above4g, 'ram', 'pc.ram above 4G'));
  // pc_memory_init advertises the HT range in the E820 only when phys-bits reach it.
  if (plan.amdHoleEnforced && input.physBits >= 40)
    entries.push({ ...AMD_HT_HOLE, kind: 'reserved', label: 'AMD HyperTransport (E820 reserved)' });
  if (plan.device)
    entries.push(entry(plan.device.base, plan.device.size, 'device-memory', 'device memory (DIMM, virtio-mem)'));
  entries.push(entry(plan.hole64.start, plan.hole64.size, 'pci-hole', '64-bit PCI hole'));
  return sortEntries(entries);
}

/** What QEMU's pc_memory_init refuses, in its own words. */
export function pcRefusal(
  input: PcInput,
  machine: MachineType & { family: 'pc-q35' | 'pc-i440fx' },
): LayoutRefusal | undefined {
  const plan = planPc(input, machine);
  const { ram, slots } = input.memory;
  if (!plan.compat.hasReservedMemory && ((input.memory.max ?? ram) > ram || slots > 0)) {
    return {
      field: 'memory',
      message: `QEMU refuses to start this guest: "-memory 'slots|maxmem'" is not supported by: ${machine.name}; remove max and slots, or use a newer machine type`,
    };
  }
  const limit = (1n << BigInt(input.physBits)) - 1n;
  if (!plan.compat.physBitsChecked || plan.maxUsed <= limit) return undefined;
  const hex = (value: bigint) => `0x${value.toString(16)}`;
  return {
    field: 'physBits',
    message:
      `QEMU refuses to start this guest: "Address space limit ${hex(limit)} < ${hex(plan.maxUsed)} phys-bits too low (${input.physBits})" ` +
      `— its 64-bit PCI hole ends at ${hex(plan.maxUsed)}; set physBits ≥ ${bitsToReach(plan.maxUsed)} (and a host CPU with as many), or give it less memory`,
  };
}
