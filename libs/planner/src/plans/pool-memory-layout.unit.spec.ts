// Pool-wide GPA planning (docs/domain.md#thread-arm-guest-msi: hold the memory maps of every host a VM may visit; report usable as
// well as unusable ranges; pick the MSI doorbell deterministically).
import { describe, expect, it } from 'vitest';
import { poolMemoryLayout } from '../index.js';
import { AMD_HT, ARM_SW_MSI, X86_MSI, group, host, nic } from '../test-support/fleet-fixtures.js';

const arm = (id: string, regions: Parameters<typeof group>[2], extra = {}) =>
  host({
    id,
    pool: 'arm-pool',
    arch: 'aarch64',
    cpuVendor: 'arm',
    iommu: { model: 'arm-smmuv3', addressWidthBits: 48 },
    groups: [group(1, [nic('0000:81:00.0')], regions)],
    ...extra,
  });

describe('poolMemoryLayout: aarch64 pool', () => {
  const hosts = [
    arm('a1', [ARM_SW_MSI]),
    // HiSilicon-style hardware MSI doorbell at 0xc6010000 (docs/domain.md#msi-bypass)
    arm('a2', [ARM_SW_MSI, { start: '0xc6010000', end: '0xc601ffff', type: 'msi' }]),
    // ignored by VFIO: must not shrink the usable ranges
    arm('a3', [ARM_SW_MSI, { start: '0x50000000', end: '0x5fffffff', type: 'direct-relaxable' }], {
      bridgeWindows: [{ start: '0x8000000000', end: '0x80ffffffff' }],
    }),
    arm('other-pool', [ARM_SW_MSI, { start: '0x60000000', end: '0x6fffffff', type: 'reserved' }], {
      pool: 'elsewhere',
    }),
  ];
  const layout = poolMemoryLayout(hosts, 'arm-pool');

  it("takes only the pool's hosts and unions their forbidden ranges, with the hosts behind each", () => {
    expect(layout.hosts).toEqual(['a1', 'a2', 'a3']);
    expect(layout.forbidden.map(({ start, end }) => [start, end])).toEqual([
      ['0x8000000', '0x80fffff'],
      ['0xc6010000', '0xc601ffff'],
      // 48-bit SMMU: everything from 2^48 up
      ['0x1000000000000', '0xffffffffffffffff'],
    ]);
    expect(layout.forbidden[1]!.sources).toEqual([{ hostId: 'a2', groupId: 1, kind: 'msi' }]);
    expect(layout.bridgeWindows.map(({ start, end }) => [start, end])).toEqual([['0x8000000000', '0x80ffffffff']]);
  });

  it('gives virt usable RAM ranges around every forbidden range and bridge window', () => {
    const virt = layout.families.find((f) => f.family === 'virt')!;
    expect(virt.usable).toEqual([
      { start: '0x40000000', end: '0xc600ffff' },
      { start: '0xc6020000', end: '0x7fffffffff' },
      { start: '0x8100000000', end: '0xffffffffffff' },
    ]);
    // RAM + device memory that fit contiguously from 0x40000000: up to 0xc600ffff.
    expect(virt.contiguousFromBase).toEqual({ base: '0x40000000', bytes: '0x86010000' });
    expect(layout.families.map((f) => f.family)).toEqual(['virt']);
  });

  it('keeps the MSI doorbell at 0x8000000 when no host objects', () => {
    expect(layout.msiDoorbell.iova).toBe('0x8000000');
  });

  it('moves the doorbell to the next free 1 MiB-aligned window when an RMR covers 0x8000000', () => {
    const rmr = arm('a4', [ARM_SW_MSI, { start: '0x8000000', end: '0x81fffff', type: 'reserved' }]);
    expect(poolMemoryLayout([...hosts, rmr], 'arm-pool').msiDoorbell.iova).toBe('0x8200000');
  });

  it('takes whole MiBs only: a region ending mid-MiB at 0x8280fff pushes the doorbell to 0x8300000', () => {
    const odd = arm('a5', [ARM_SW_MSI, { start: '0x8100000', end: '0x8280fff', type: 'reserved' }]);
    expect(poolMemoryLayout([...hosts, odd], 'arm-pool').msiDoorbell.iova).toBe('0x8000000');
    const blocking = arm('a6', [{ start: '0x8000000', end: '0x8280fff', type: 'reserved' }]);
    expect(poolMemoryLayout([...hosts, blocking], 'arm-pool').msiDoorbell.iova).toBe('0x8300000');
  });
});

describe('poolMemoryLayout: x86 pool with Intel and AMD hosts', () => {
  const hosts = [
    host({
      id: 'i1',
      pool: 'p',
      iommu: { addressWidthBits: 46 },
      groups: [group(1, [nic('0000:81:00.0')], [X86_MSI])],
    }),
    host({
      id: 'a1',
      pool: 'p',
      cpuVendor: 'amd',
      iommu: { model: 'amd-vi', addressWidthBits: 48 },
      groups: [group(1, [nic('0000:81:00.0')], [X86_MSI])],
    }),
  ];
  const layout = poolMemoryLayout(new Map(hosts.map((h) => [h.host.id, h])), 'p');

  it('adds the AMD HT hole for an AMD host even when its groups do not list it (docs/domain.md#amd-ht-hole)', () => {
    expect(layout.forbidden.find((r) => r.start === AMD_HT.start)?.sources).toEqual([
      { hostId: 'a1', groupId: null, kind: 'amd-ht-hole' },
    ]);
  });

  it('q35 may put above-4G RAM up to the HT hole, and again from 1 TiB to the narrowest IOMMU (46 bits)', () => {
    const q35 = layout.families.find((f) => f.family === 'pc-q35')!;
    expect(q35.usable).toEqual([
      { start: '0x0', end: '0xafffffff' },
      { start: '0x100000000', end: '0xfcffffffff' },
      { start: '0x10000000000', end: '0x3fffffffffff' },
    ]);
    // 0xfd00000000 − 0x100000000 = 0xfc00000000 bytes (1008 GiB) from 4 GiB.
    expect(q35.contiguousFromBase).toEqual({ base: '0x100000000', bytes: '0xfc00000000' });
  });

  it("keeps x86's architectural doorbell 0xfee00000", () => {
    expect(layout.msiDoorbell.iova).toBe('0xfee00000');
  });
});
