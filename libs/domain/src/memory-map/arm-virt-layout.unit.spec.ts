// aarch64 `virt` layouts pinned to what QEMU 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18) maps, read with
//   qemu-system-aarch64 -nodefaults -display none -S -accel tcg -machine virt-7.2[,memory-backend=m] \
//     [-object memory-backend-ram,id=m,size=<ram>,reserve=off] -cpu <model> -m <ram>[,slots=…,maxmem=…]
// and `info mtree -f` (the system address space). cortex-a53 has a 40-bit PA range, cortex-a57 44 bits.
import { describe, expect, it } from 'vitest';
import { deriveMemoryMap, dmaMappedRanges, type MemoryMapEntry } from '@ferry/domain';

const MiB = 1n << 20n;
const GiB = 1n << 30n;

const derive = (machine: string, physBits: number, ram: bigint, max?: bigint, slots = 0) =>
  deriveMemoryMap({ machine, cpuVendor: 'arm', memory: { ram, max, slots }, physBits });

/** [start, end, label] of every entry QEMU shows at or above `from`. */
const from = (map: readonly MemoryMapEntry[], start: bigint) =>
  map.filter((e) => e.start >= start).map((e) => [e.start, e.end, e.label]);

describe('aarch64 virt-7.2: one ECAM, the high one (create_pcie, highmem_ecam)', () => {
  it('cortex-a53, -m 4G: RAM, high ECAM at 0x4010000000, high MMIO 0x8000000000–0xffffffffff; nothing at 0x3f000000', () => {
    // mtree: 0x40000000-0x13fffffff mach-virt.ram, 0x4010000000-0x401fffffff pcie-mmcfg-mmio,
    // 0x8000000000-0xffffffffff gpex_mmio_window, 0x10000000-0x3efeffff gpex_mmio_window, 0x3eff0000-0x3effffff gpex_ioport_window.
    const map = derive('virt-7.2', 40, 4n * GiB);
    expect(from(map, 0x1000_0000n)).toEqual([
      [0x1000_0000n, 0x3efe_ffffn, 'PCIe MMIO'],
      [0x3eff_0000n, 0x3eff_ffffn, 'PCIe PIO'],
      [0x4000_0000n, 0x1_3fff_ffffn, 'mach-virt.ram'],
      [0x40_1000_0000n, 0x40_1fff_ffffn, 'PCIe ECAM (high)'],
      [0x80_0000_0000n, 0xff_ffff_ffffn, 'PCIe MMIO (high)'],
    ]);
    // The 64 MiB high redistributor region is only mapped for a GICv3 with > 123 vCPUs: QEMU shows nothing at 256 GiB.
    expect(map.some((e) => e.start === 256n * GiB)).toBe(false);
  });

  it('cortex-a53, -m 512G: the high PCIe MMIO window does not fit 40 bits and is dropped (highmem_mmio)', () => {
    // mtree: RAM 0x40000000-0x803fffffff, pcie-mmcfg-mmio 0x8050000000-0x805fffffff, no high gpex_mmio_window.
    const map = derive('virt-7.2', 40, 512n * GiB);
    expect(from(map, 0x4000_0000n)).toEqual([
      [0x4000_0000n, 0x80_3fff_ffffn, 'mach-virt.ram'],
      [0x80_5000_0000n, 0x80_5fff_ffffn, 'PCIe ECAM (high)'],
    ]);
  });

  it('cortex-a57, -m 512G: 44 bits keep the window at 1 TiB', () => {
    // mtree: pcie-mmcfg-mmio 0x8050000000-0x805fffffff, gpex_mmio_window 0x10000000000-0x17fffffffff.
    expect(from(derive('virt-7.2', 44, 512n * GiB), 0x80_4000_0000n)).toEqual([
      [0x80_5000_0000n, 0x80_5fff_ffffn, 'PCIe ECAM (high)'],
      [0x100_0000_0000n, 0x17f_ffff_ffffn, 'PCIe MMIO (high)'],
    ]);
  });

  it('cortex-a53, -m 1022G: the high ECAM still fits just below 1 TiB', () => {
    // mtree: RAM 0x40000000-0xffbfffffff, pcie-mmcfg-mmio 0xffd0000000-0xffdfffffff.
    expect(from(derive('virt-7.2', 40, 1022n * GiB), 0xff_c000_0000n)).toEqual([
      [0xff_d000_0000n, 0xff_dfff_ffffn, 'PCIe ECAM (high)'],
    ]);
  });

  it('cortex-a53, -m 1023G: no high ECAM fits, so QEMU falls back to the 16 MiB ECAM at 0x3f000000', () => {
    // mtree: pcie-mmcfg-mmio 0x3f000000-0x3fffffff, RAM 0x40000000-0xffffffffff, nothing above.
    const map = derive('virt-7.2', 40, 1023n * GiB);
    expect(from(map, 0x3f00_0000n)).toEqual([
      [0x3f00_0000n, 0x3fff_ffffn, 'PCIe ECAM'],
      [0x4000_0000n, 0xff_ffff_ffffn, 'mach-virt.ram'],
    ]);
  });

  it('cortex-a57, -m 300G,slots=8,maxmem=600G: device memory [301 GiB, 609 GiB) pushes the high area up', () => {
    // mtree: pcie-mmcfg-mmio 0x9850000000-0x985fffffff (609 GiB + 256 MiB), gpex_mmio_window 0x10000000000-0x17fffffffff.
    const map = derive('virt-7.2', 44, 300n * GiB, 600n * GiB, 8);
    expect(from(map, 301n * GiB)).toEqual([
      [301n * GiB, 609n * GiB - 1n, 'device memory (DIMM, virtio-mem)'],
      [609n * GiB + 256n * MiB, 609n * GiB + 512n * MiB - 1n, 'PCIe ECAM (high)'],
      [0x100_0000_0000n, 0x17f_ffff_ffffn, 'PCIe MMIO (high)'],
    ]);
  });

  it('virt-2.12 has no high ECAM (no_highmem_ecam): the ECAM is at 0x3f000000 even with room above', () => {
    // mtree for -machine virt-2.12 -cpu cortex-a57 -m 4G: pcie-mmcfg-mmio 0x3f000000-0x3fffffff.
    const map = derive('virt-2.12', 44, 4n * GiB);
    expect(map.filter((e) => e.label?.startsWith('PCIe ECAM')).map((e) => [e.start, e.end])).toEqual([
      [0x3f00_0000n, 0x3fff_ffffn],
    ]);
  });

  it('never lets RAM or device memory meet the host SMMU SW_MSI window 0x08000000–0x080FFFFF', () => {
    const map = derive('virt-7.2', 40, 64n * GiB, 128n * GiB, 4);
    for (const r of dmaMappedRanges(map)) expect(r.start > 0x080f_ffffn || r.end < 0x0800_0000n).toBe(true);
  });
});
