// Guest RAM versus the destination's IOVA constraints (docs/domain.md#vfio-iova-ranges, #migrate-then-hotplug, #bridge-windows).
// Expected ranges are worked out by hand from the QEMU layout rules quoted beside them.
import { describe, expect, it } from 'vitest';
import { planHotplug, planMigration } from '../../index.js';
import {
  AMD_HT,
  ARM_SW_MSI,
  X86_MSI,
  codesOf,
  conflict,
  fleetOf,
  group,
  guest,
  host,
  nic,
} from '../../test-support/fleet-fixtures.js';

// q35, 16 GiB: RAM ≥ 0xB0000000 so lowmem = 2 GiB → [0, 0x7fffffff]; 14 GiB from 4 GiB → [0x100000000, 0x47fffffff].
const source = host({ id: 'src', groups: [group(1, [nic('0000:81:00.0')])] });
const q35Guest = (extra: Parameters<typeof guest>[0] extends infer G ? Partial<G> : never = {}) =>
  guest({
    id: 'vm',
    host: 'src',
    memory: { ram: '16GiB' },
    hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }],
    ...extra,
  });

function migrateTo(destination: Parameters<typeof host>[0], vm = q35Guest()) {
  return planMigration(fleetOf([source, host(destination)], [vm]), 'vm', destination.id);
}
const withRegion = (
  region: { start: string; end: string; type: 'direct' | 'direct-relaxable' | 'reserved' | 'msi' },
  kernel = '6.8.0',
) => ({
  id: 'dst',
  kernel,
  groups: [group(7, [nic('0000:81:00.0')], [X86_MSI, region])],
});

describe('RESV_OVERLAPS_GUEST_RAM', () => {
  it('fires for a reserved region inside guest RAM, found at migration time through a vfio reservation', () => {
    const plan = migrateTo(withRegion({ start: '0x200000000', end: '0x2001fffff', type: 'reserved' }));
    const found = conflict(plan, 'RESV_OVERLAPS_GUEST_RAM');
    expect(found?.severity).toBe('error');
    expect(found?.evidence).toMatchObject({
      hostId: 'dst',
      groupId: 7,
      device: '0000:81:00.0',
      region: { start: '0x200000000', end: '0x2001fffff', type: 'reserved' },
      guestRange: { start: '0x100000000', end: '0x47fffffff', kind: 'ram' },
      overlap: { start: '0x200000000', end: '0x2001fffff' },
      target: { origin: 'reservation' },
    });
    expect(plan.verdict).toBe('blocked');
  });

  it('is silent corruption on kernels older than 5.4 and a clean error from 5.4 on', () => {
    const region = { start: '0x200000000', end: '0x2001fffff', type: 'reserved' as const };
    const old = conflict(migrateTo(withRegion(region, '5.3.18')), 'RESV_OVERLAPS_GUEST_RAM');
    expect(old?.severity).toBe('corruption');
    expect(old?.message).toMatch(/silent/);
    expect(conflict(migrateTo(withRegion(region, '5.4.0')), 'RESV_OVERLAPS_GUEST_RAM')?.severity).toBe('error');
  });

  it('counts direct regions too', () => {
    expect(codesOf(migrateTo(withRegion({ start: '0x300000000', end: '0x3000fffff', type: 'direct' })))).toContain(
      'RESV_OVERLAPS_GUEST_RAM',
    );
  });

  it.each([
    // Ends at 0xffffffff, one byte below above-4G RAM; starts above low RAM's end 0x7fffffff.
    {
      name: 'region ending one byte below guest RAM',
      region: { start: '0xf0000000', end: '0xffffffff', type: 'reserved' as const },
    },
    {
      name: 'region starting one byte after guest RAM',
      region: { start: '0x480000000', end: '0x4800fffff', type: 'reserved' as const },
    },
    {
      name: 'direct-relaxable region inside guest RAM (ignored by VFIO)',
      region: { start: '0x200000000', end: '0x2001fffff', type: 'direct-relaxable' as const },
    },
  ])('is silent for a $name', ({ region }) => {
    expect(codesOf(migrateTo(withRegion(region)))).not.toContain('RESV_OVERLAPS_GUEST_RAM');
  });

  it('covers the device-memory (hot-plug) range and says a later memory hot-plug kills the VM', () => {
    // max 32 GiB, 2 slots: device memory at ROUND_UP(0x480000000, 1 GiB) = 0x480000000, 16 GiB + 2 × 1 GiB → end 0x8ffffffff.
    const vm = q35Guest({ memory: { ram: '16GiB', max: '32GiB', slots: 2 } });
    const found = conflict(
      migrateTo(withRegion({ start: '0x600000000', end: '0x6000fffff', type: 'reserved' }), vm),
      'RESV_OVERLAPS_GUEST_RAM',
    );
    expect(found?.evidence.guestRange).toMatchObject({
      start: '0x480000000',
      end: '0x8ffffffff',
      kind: 'device-memory',
    });
    expect(found?.message).toMatch(/hw_error/);
  });

  it('fires for a hot-plug on the current host, by PCI address', () => {
    const here = host(withRegion({ start: '0x200000000', end: '0x2001fffff', type: 'reserved' }));
    const vm = guest({ id: 'vm', host: 'dst', memory: { ram: '16GiB' } });
    const plan = planHotplug(fleetOf([here], [vm]), 'vm', { id: 'hba0', kind: 'vfio', hostDevice: '0000:81:00.0' });
    expect(conflict(plan, 'RESV_OVERLAPS_GUEST_RAM')?.evidence).toMatchObject({
      target: { origin: 'hotplug', id: 'hba0' },
    });
  });

  it('does not apply to a guest with a vIOMMU (IOVA ≠ GPA)', () => {
    const vm = q35Guest({ viommu: 'virtio-iommu' });
    expect(
      codesOf(migrateTo(withRegion({ start: '0x200000000', end: '0x2001fffff', type: 'reserved' }), vm)),
    ).not.toContain('RESV_OVERLAPS_GUEST_RAM');
  });
});

describe('MSI_WINDOW_OVERLAPS_GUEST_RAM', () => {
  // virt, 8 GiB: RAM at 0x40000000 → [0x40000000, 0x23fffffff] (docs/domain.md#layout-arm-virt).
  const armSource = host({
    id: 'src',
    arch: 'aarch64',
    cpuVendor: 'arm',
    iommu: { model: 'arm-smmuv3' },
    groups: [group(1, [nic('0000:81:00.0')], [ARM_SW_MSI])],
  });
  // HiSilicon Hi161x: ITS writes bypass the SMMU; the hardware msi region is ITS_base + 64 KiB, 64 KiB long (docs/domain.md#msi-bypass).
  const HISI_MSI = { start: '0xc6010000', end: '0xc601ffff', type: 'msi' as const };
  const armDestination = (regions: (typeof HISI_MSI)[]) =>
    host({
      id: 'dst',
      arch: 'aarch64',
      cpuVendor: 'arm',
      iommu: { model: 'arm-smmuv3' },
      groups: [group(3, [nic('0000:81:00.0')], regions)],
    });
  const armGuest = (extra = {}) =>
    guest({
      id: 'vm',
      host: 'src',
      machine: 'virt-8.2',
      cpuVendor: 'arm',
      memory: { ram: '8GiB' },
      hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }],
      ...extra,
    });

  it('fires for a hardware MSI doorbell inside guest RAM', () => {
    const plan = planMigration(fleetOf([armSource, armDestination([ARM_SW_MSI, HISI_MSI])], [armGuest()]), 'vm', 'dst');
    const found = conflict(plan, 'MSI_WINDOW_OVERLAPS_GUEST_RAM');
    expect(found?.severity).toBe('error');
    expect(found?.evidence).toMatchObject({
      groupId: 3,
      overlap: { start: '0xc6010000', end: '0xc601ffff' },
      guestRange: { start: '0x40000000', end: '0x23fffffff' },
    });
  });

  it('is silent when guest RAM ends one byte below the doorbell', () => {
    const vm = armGuest({ memoryMap: [{ start: '0x40000000', end: '0xc600ffff', kind: 'ram' }] });
    expect(
      codesOf(planMigration(fleetOf([armSource, armDestination([ARM_SW_MSI, HISI_MSI])], [vm]), 'vm', 'dst')),
    ).not.toContain('MSI_WINDOW_OVERLAPS_GUEST_RAM');
  });

  it("is silent for the SMMU's SW_MSI window, which only meets virt's flash/GIC area (docs/domain.md#layout-arm-virt)", () => {
    expect(
      codesOf(planMigration(fleetOf([armSource, armDestination([ARM_SW_MSI])], [armGuest()]), 'vm', 'dst')),
    ).not.toContain('MSI_WINDOW_OVERLAPS_GUEST_RAM');
  });
});

describe('AMD_HT_HOLE_OVERLAP', () => {
  const amd = (id: string) =>
    host({
      id,
      cpuVendor: 'amd',
      memory: '2TiB',
      iommu: { model: 'amd-vi' },
      groups: [group(2, [nic('0000:81:00.0')], [X86_MSI, AMD_HT])],
    });
  // 1100 GiB on q35: 2 GiB low, 1098 GiB from 4 GiB → up to 1102 GiB = 0x11380000000 (1024 GiB = 0x10000000000,
  // 78 GiB = 0x1380000000), across 0xfd00000000 (1012 GiB).
  const bigGuest = (machine: string, cpuVendor: 'intel' | 'amd', extra = {}) =>
    guest({
      id: 'vm',
      host: 'src',
      machine,
      cpuVendor,
      memory: { ram: '1100GiB' },
      // QEMU refuses this much RAM under 40 phys-bits (its 64-bit PCI hole ends above 1 TiB).
      physBits: 46,
      hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }],
      ...extra,
    });
  const plan = (vm: ReturnType<typeof guest>, destination = amd('dst')) =>
    planMigration(fleetOf([amd('src'), destination], [vm]), 'vm', destination.host.id);

  it('fires for a machine ≤ 7.0 whose RAM crosses the hole, once, without a duplicate reserved-region conflict', () => {
    const result = plan(bigGuest('pc-q35-7.0', 'amd'));
    const found = conflict(result, 'AMD_HT_HOLE_OVERLAP');
    expect(found?.severity).toBe('error');
    expect(found?.evidence).toMatchObject({
      overlap: { start: '0xfd00000000', end: '0xffffffffff' },
      guestRange: { start: '0x100000000', end: '0x1137fffffff' },
    });
    expect(codesOf(result)).not.toContain('RESV_OVERLAPS_GUEST_RAM');
  });

  it('fires for an Intel vCPU model even on a ≥ 7.1 machine', () => {
    expect(codesOf(plan(bigGuest('pc-q35-8.2', 'intel')))).toContain('AMD_HT_HOLE_OVERLAP');
  });

  it('is silent when machine ≥ 7.1 with an AMD vCPU moved RAM above 1 TiB', () => {
    expect(codesOf(plan(bigGuest('pc-q35-7.1', 'amd')))).not.toContain('AMD_HT_HOLE_OVERLAP');
  });

  it('is silent when RAM ends one byte below 0xfd00000000', () => {
    const vm = bigGuest('pc-q35-7.0', 'amd', {
      memoryMap: [
        { start: '0x0', end: '0x7fffffff', kind: 'ram' },
        { start: '0x100000000', end: '0xfcffffffff', kind: 'ram' },
      ],
    });
    expect(codesOf(plan(vm))).not.toContain('AMD_HT_HOLE_OVERLAP');
  });

  it('is silent on an Intel destination', () => {
    const intel = host({ id: 'dst', memory: '2TiB', groups: [group(2, [nic('0000:81:00.0')])] });
    expect(codesOf(plan(bigGuest('pc-q35-7.0', 'amd'), intel))).not.toContain('AMD_HT_HOLE_OVERLAP');
  });
});

describe('BRIDGE_WINDOW_OVERLAPS_GUEST_RAM', () => {
  const destination = (window: { start: string; end: string }) => ({
    id: 'dst',
    bridgeWindows: [window],
    groups: [group(7, [nic('0000:81:00.0')])],
  });

  it('warns for a host-bridge window inside guest RAM', () => {
    const plan = migrateTo(destination({ start: '0x200000000', end: '0x20fffffff' }));
    expect(conflict(plan, 'BRIDGE_WINDOW_OVERLAPS_GUEST_RAM')?.severity).toBe('warning');
    expect(plan.verdict).toBe('warnings');
  });

  it('is silent for a window starting one byte after guest RAM', () => {
    expect(codesOf(migrateTo(destination({ start: '0x480000000', end: '0x48fffffff' })))).not.toContain(
      'BRIDGE_WINDOW_OVERLAPS_GUEST_RAM',
    );
  });
});

describe('GUEST_GPA_EXCEEDS_IOMMU_WIDTH', () => {
  // 39-bit client VT-d: IOVAs up to 0x7fffffffff (512 GiB) (docs/domain.md#migrate-then-hotplug).
  const narrow = {
    id: 'dst',
    memory: '1TiB',
    iommu: { addressWidthBits: 39 },
    groups: [group(7, [nic('0000:81:00.0')])],
  };

  it('fires when guest RAM goes beyond the host IOMMU aperture', () => {
    // 600 GiB: 598 GiB from 4 GiB → last byte 0x967fffffff.
    const found = conflict(migrateTo(narrow, q35Guest({ memory: { ram: '600GiB' } })), 'GUEST_GPA_EXCEEDS_IOMMU_WIDTH');
    expect(found?.evidence).toMatchObject({
      addressWidthBits: 39,
      highestGuestDmaAddress: '0x967fffffff',
      beyondAperture: { start: '0x8000000000', end: '0x967fffffff' },
    });
  });

  it('is silent when the highest guest address is the last one the IOMMU can translate', () => {
    const vm = q35Guest({
      memoryMap: [
        { start: '0x0', end: '0x7fffffff', kind: 'ram' },
        { start: '0x100000000', end: '0x7fffffffff', kind: 'ram' },
      ],
    });
    expect(codesOf(migrateTo(narrow, vm))).not.toContain('GUEST_GPA_EXCEEDS_IOMMU_WIDTH');
  });
});
