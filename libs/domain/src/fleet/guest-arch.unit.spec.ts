// A guest's architecture follows from machine + arch: `virt` is aarch64's, riscv64's and loongarch64's.
// RAM and PCIe windows below are what QEMU 7.2.22 maps (`info mtree -f` under TCG):
//   qemu-system-riscv64 -machine virt -m 4G: ram 0x80000000-0x17fffffff, gpex_mmio_window 0x40000000-0x7fffffff
//     and 0x400000000-0x7ffffffff, pcie-mmcfg-mmio 0x30000000-0x3fffffff;
//   qemu-system-loongarch64 -machine virt -m 4G: loongarch.ram 0x0-0xfffffff and 0x90000000-0x17fffffff,
//     pcie-mmcfg-mmio 0x20000000-0x27ffffff, gpex_mmio_window 0x40000000-0x7fffffff.
import { describe, expect, it } from 'vitest';
import { decideGuest, guestSchema, type GuestInput } from '@ferry/domain';

const parse = (guest: Partial<GuestInput>) =>
  guestSchema.safeParse({ id: 'vm-1', host: 'host-a', memory: { ram: '4GiB' }, ...guest });
const issuesOf = (guest: Partial<GuestInput>) =>
  parse(guest).error?.issues.map((issue) => ({ path: issue.path, message: issue.message })) ?? [];
const mapOf = (guest: Partial<GuestInput>) => {
  const [defined] = decideGuest({ type: 'DefineGuest', guest: parse(guest).data! }, undefined);
  if (defined?.type !== 'GuestDefined') throw new Error('not defined');
  return defined.data.memoryMap.map((e) => [e.start, e.end, e.kind]);
};

describe('virt guests of each architecture', () => {
  it('lays out a riscv64 virt guest as QEMU does: RAM at 0x80000000, high PCIe MMIO 16 GiB-aligned after it', () => {
    expect(mapOf({ machine: 'virt', arch: 'riscv64', cpuVendor: 'riscv' })).toEqual([
      [0x3000000n, 0x300ffffn, 'mmio'],
      [0x30000000n, 0x3fffffffn, 'mmio'],
      [0x40000000n, 0x7fffffffn, 'pci-hole'],
      [0x80000000n, 0x17fffffffn, 'ram'],
      [0x400000000n, 0x7ffffffffn, 'pci-hole'],
    ]);
  });

  it('lays out a loongarch64 virt guest as QEMU does: 256 MiB low, the rest from 0x90000000', () => {
    expect(mapOf({ machine: 'virt', arch: 'loongarch64', cpuVendor: 'loongson' })).toEqual([
      [0n, 0xfffffffn, 'ram'],
      [0x18004000n, 0x1800ffffn, 'mmio'],
      [0x20000000n, 0x27ffffffn, 'mmio'],
      [0x40000000n, 0x7fffffffn, 'pci-hole'],
      [0x90000000n, 0x17fffffffn, 'ram'],
    ]);
  });

  it('keeps virt without arch an aarch64 guest, as every fleet file written so far means', () => {
    expect(issuesOf({ machine: 'virt-7.2', cpuVendor: 'arm' })).toEqual([]);
    expect(mapOf({ machine: 'virt-7.2', cpuVendor: 'arm' })).toContainEqual([0x40000000n, 0x13fffffffn, 'ram']);
  });
});

describe('architecture consistency is checked at definition', () => {
  it('refuses an arch the machine family does not exist for, naming arch', () => {
    expect(issuesOf({ machine: 'pc-q35-7.2', arch: 'riscv64', cpuVendor: 'riscv' })).toEqual([
      { path: ['arch'], message: expect.stringContaining('pc-q35-7.2 is a machine type for x86_64 only, not riscv64') },
    ]);
  });

  it('refuses a vCPU vendor of another architecture, naming cpuVendor', () => {
    expect(issuesOf({ machine: 'virt', arch: 'riscv64', cpuVendor: 'arm' })).toEqual([
      { path: ['cpuVendor'], message: expect.stringContaining('a riscv64 guest has riscv vCPUs') },
    ]);
    expect(issuesOf({ machine: 'virt-7.2', cpuVendor: 'intel' })[0]?.path).toEqual(['cpuVendor']);
    expect(issuesOf({ machine: 'pc-q35-7.2', cpuVendor: 'arm' })[0]?.path).toEqual(['cpuVendor']);
  });
});
