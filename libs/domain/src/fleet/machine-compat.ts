// The compatibility properties of a machine type that move guest-physical addresses. Each is a
// field QEMU's machine classes set per version (hw/i386/pc_piix.c, pc_q35.c, hw/arm/virt.c).
import { machineAtLeast, type MachineType } from './machine-type.js';

export interface PcCompat {
  /** pc_piix.c: i440fx caps low RAM at 3 GiB (not 3.5) when it splits (pc_i440fx_1_7: gigabyte_align = false). */
  gigabyteAlign: boolean;
  /** pc.c: a device-memory region exists at all; older types refuse maxmem/slots (pc_i440fx_2_0: has_reserved_memory = false). */
  hasReservedMemory: boolean;
  /** pc_get_device_memory_range: 1 GiB per slot for alignment (pc_compat_2_1: enforce_aligned_dimm = false). */
  enforceAlignedDimm: boolean;
  /** pc_pci_hole64_start: hole64 starts at the device-memory base, not its end (pc_*_2_4: broken_reserved_end = true). */
  brokenReservedEnd: boolean;
  /** pc_memory_init: above-4G RAM moves to 1 TiB for AMD vCPUs (pc_*_7_0: enforce_amd_1tb_hole = false). */
  enforceAmd1tbHole: boolean;
  /**
   * QEMU ≥ 7.1 refuses a layout beyond phys-bits, whatever the machine version; machine types older than
   * pc-i440fx-1.4 are gone from those binaries (QEMU 7.2 `-machine help` starts at pc-i440fx-1.4), so
   * no QEMU that checks ever starts them.
   */
  physBitsChecked: boolean;
}

export function pcCompat(machine: MachineType): PcCompat {
  return {
    gigabyteAlign: machineAtLeast(machine, 2, 0),
    hasReservedMemory: machineAtLeast(machine, 2, 1),
    enforceAlignedDimm: machineAtLeast(machine, 2, 2),
    brokenReservedEnd: !machineAtLeast(machine, 2, 5),
    enforceAmd1tbHole: machineAtLeast(machine, 7, 1),
    physBitsChecked: machineAtLeast(machine, 1, 4),
  };
}

export interface VirtCompat {
  /** virt.c: ECAM above RAM instead of at 0x3f000000 (virt_machine_2_12_options: no_highmem_ecam = true). */
  highmemEcam: boolean;
}

export function virtCompat(machine: MachineType): VirtCompat {
  return { highmemEcam: machineAtLeast(machine, 3, 0) };
}
