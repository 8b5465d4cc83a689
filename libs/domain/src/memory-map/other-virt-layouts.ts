// `virt` on riscv64 and loongarch64 (QEMU 7.2): fixed low windows and RAM, no device-memory region
// (neither board supports memory hot-plug in 7.2), so maxmem and slots move nothing.
import { alignUp, GiB, MiB } from '../address/address.js';
import type { GuestMemory, MemoryMapEntry } from '../fleet/guest-schema.js';
import { entry, sortEntries } from './layout-entries.js';

// hw/riscv/virt.c virt_memmap[]: PCIe PIO, ECAM and MMIO below DRAM at 0x80000000; the 64-bit PCIe
// window (VIRT64_HIGH_PCIE_MMIO_SIZE, 16 GiB) at ROUND_UP(end of DRAM, its size) (virt_machine_init).
export function riscvVirtLayout(memory: GuestMemory): MemoryMapEntry[] {
  const dramBase = 0x8000_0000n;
  const highMmioSize = 16n * GiB;
  return sortEntries([
    entry(0x0300_0000n, 64n * 1024n, 'mmio', 'PCIe PIO'),
    entry(0x3000_0000n, 256n * MiB, 'mmio', 'PCIe ECAM'),
    entry(0x4000_0000n, GiB, 'pci-hole', 'PCIe MMIO'),
    entry(dramBase, memory.ram, 'ram', 'riscv_virt_board.ram'),
    entry(alignUp(dramBase + memory.ram, highMmioSize), highMmioSize, 'pci-hole', 'PCIe MMIO (high)'),
  ]);
}

// hw/loongarch/virt.c (loongarch_init): the first 256 MiB of RAM at 0 (VIRT_LOWMEM_SIZE), the rest
// from VIRT_HIGHMEM_BASE 0x90000000; ECAM at 0x20000000 and MMIO at 0x40000000 (include/hw/pci-host/ls7a.h).
export function loongarchVirtLayout(memory: GuestMemory): MemoryMapEntry[] {
  const lowSize = 256n * MiB;
  const low = memory.ram < lowSize ? memory.ram : lowSize;
  const entries = [
    entry(0n, low, 'ram', 'loongarch.ram'),
    entry(0x1800_4000n, 0xc000n, 'mmio', 'PCIe PIO'),
    entry(0x2000_0000n, 128n * MiB, 'mmio', 'PCIe ECAM'),
    entry(0x4000_0000n, GiB, 'pci-hole', 'PCIe MMIO'),
  ];
  if (memory.ram > lowSize) entries.push(entry(0x9000_0000n, memory.ram - lowSize, 'ram', 'loongarch.ram (high)'));
  return sortEntries(entries);
}
