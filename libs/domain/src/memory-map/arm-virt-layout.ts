// aarch64 `virt` as QEMU 7.2 builds it (hw/arm/virt.c): base_memmap below 1 GiB, RAM at 1 GiB, device
// memory after it, then the high IO area sized against the vCPU's physical address range.
import { alignUp, GiB, MiB } from '../address/address.js';
import type { GuestMemory, MemoryMapEntry } from '../fleet/guest-schema.js';
import { virtCompat } from '../fleet/machine-compat.js';
import type { MachineType } from '../fleet/machine-type.js';
import { entry, sortEntries, type LayoutRefusal } from './layout-entries.js';

export interface ArmVirtInput {
  memory: GuestMemory;
  /** The PA range: arm_pamax() of the vCPU model under TCG (cortex-a53 40, cortex-a57 44), the host's IPA limit under KVM. */
  physBits: number;
}

const RAM_BASE = GiB; // base_memmap[VIRT_MEM]
// virt_set_memmap: the high IO area never starts below 256 GiB (LEGACY_RAMLIMIT_BYTES above VIRT_MEM).
const HIGH_IO_FLOOR = 256n * GiB;

interface ArmVirtPlan {
  deviceMemory: { base: bigint; size: bigint } | undefined;
  /** ROUND_UP(device memory base + size, 1 GiB): what must fit below 2^pa_bits. */
  memTop: bigint;
  highEcam: { base: bigint; size: bigint } | undefined;
  highMmio: { base: bigint; size: bigint } | undefined;
}

function planArmVirt(input: ArmVirtInput, machine: MachineType): ArmVirtPlan {
  const { ram, slots } = input.memory;
  const max = input.memory.max ?? ram;
  // virt_set_memmap: device_memory_base = ROUND_UP(RAM end, 1 GiB), size = maxram − ram + 1 GiB a slot.
  const deviceBase = alignUp(RAM_BASE + ram, GiB);
  const deviceSize = max - ram + BigInt(slots) * GiB;
  const memTop = deviceBase + alignUp(deviceSize, GiB);
  const paLimit = 1n << BigInt(input.physBits);

  // virt_set_high_memmap: each extended_memmap region aligned to its size; one that does not fit
  // below 2^pa_bits is turned off (highmem_redists / highmem_ecam / highmem_mmio &= fits).
  let base = memTop > HIGH_IO_FLOOR ? memTop : HIGH_IO_FLOOR;
  const place = (size: bigint) => {
    const start = alignUp(base, size);
    const fits = start + size <= paLimit;
    // virt-7.2 (highmem_compact) stops advancing past a region that does not fit; nothing after it fits either.
    if (fits) base = start + size;
    return fits ? { base: start, size } : undefined;
  };
  // VIRT_HIGH_GIC_REDIST2 (64 MiB): only mapped for a GICv3 with more than 123 vCPUs, which Ferry does
  // not model, so it takes its place in the layout but appears in no map.
  place(64n * MiB);
  const ecam = place(256n * MiB);
  const mmio = place(512n * GiB);
  return {
    deviceMemory: deviceSize > 0n ? { base: deviceBase, size: deviceSize } : undefined,
    memTop,
    highEcam: virtCompat(machine).highmemEcam ? ecam : undefined,
    highMmio: mmio,
  };
}

export function armVirtLayout(input: ArmVirtInput, machine: MachineType): MemoryMapEntry[] {
  const plan = planArmVirt(input, machine);
  const entries: MemoryMapEntry[] = [
    { start: 0n, end: 0x07ff_ffffn, kind: 'mmio', label: 'flash' },
    { start: 0x0800_0000n, end: 0x0fff_ffffn, kind: 'mmio', label: 'GIC, ITS, UART, RTC' },
    { start: 0x1000_0000n, end: 0x3efe_ffffn, kind: 'pci-hole', label: 'PCIe MMIO' },
    { start: 0x3eff_0000n, end: 0x3eff_ffffn, kind: 'mmio', label: 'PCIe PIO' },
    entry(RAM_BASE, input.memory.ram, 'ram', 'mach-virt.ram'),
  ];
  // create_pcie maps one ECAM: the high one when highmem_ecam survived, else base_memmap's 16 MiB at 0x3f000000.
  if (plan.highEcam) entries.push(entry(plan.highEcam.base, plan.highEcam.size, 'mmio', 'PCIe ECAM (high)'));
  else entries.push(entry(0x3f00_0000n, 16n * MiB, 'mmio', 'PCIe ECAM'));
  if (plan.deviceMemory)
    entries.push(
      entry(plan.deviceMemory.base, plan.deviceMemory.size, 'device-memory', 'device memory (DIMM, virtio-mem)'),
    );
  if (plan.highMmio) entries.push(entry(plan.highMmio.base, plan.highMmio.size, 'pci-hole', 'PCIe MMIO (high)'));
  return sortEntries(entries);
}

export function armVirtRefusal(input: ArmVirtInput, machine: MachineType): LayoutRefusal | undefined {
  const { memTop } = planArmVirt(input, machine);
  const paLimit = 1n << BigInt(input.physBits);
  if (memTop <= paLimit) return undefined;
  return {
    field: 'memory',
    message: `QEMU refuses to start this guest: "Addressing limited to ${input.physBits} bits, but memory exceeds it by ${memTop - paLimit} bytes" — RAM and device memory must end below 2^physBits (the vCPU's PA range, or the host's IPA limit under KVM)`,
  };
}
