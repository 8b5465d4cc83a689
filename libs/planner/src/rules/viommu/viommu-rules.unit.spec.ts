// vIOMMU with VFIO (docs/domain.md#viommu-host-checks, #vfio-migration).
import { describe, expect, it } from 'vitest';
import { planHotplug, planMigration } from '../../index.js';
import { ARM_SW_MSI, codesOf, conflict, fleetOf, group, guest, host, nic } from '../../test-support/fleet-fixtures.js';

const x86 = (id: string, awBits = 48) =>
  host({ id, iommu: { addressWidthBits: awBits }, groups: [group(1, [nic('0000:81:00.0')])] });

describe('VIOMMU_AW_BITS_EXCEED_HOST', () => {
  const vm = guest({
    id: 'vm',
    host: 'src',
    viommu: 'intel-iommu',
    viommuAddressWidthBits: 48,
    hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }],
  });

  it('fires when intel-iommu aw-bits exceed the host IOMMU width', () => {
    expect(
      conflict(planMigration(fleetOf([x86('src'), x86('dst', 39)], [vm]), 'vm', 'dst'), 'VIOMMU_AW_BITS_EXCEED_HOST')
        ?.evidence,
    ).toMatchObject({ guestAwBits: 48, hostAddressWidthBits: 39 });
  });

  it('is silent when they are equal', () => {
    expect(codesOf(planMigration(fleetOf([x86('src'), x86('dst', 48)], [vm]), 'vm', 'dst'))).not.toContain(
      'VIOMMU_AW_BITS_EXCEED_HOST',
    );
  });
});

describe('VIOMMU_CANNOT_HOST_VFIO', () => {
  const arm = (id: string) =>
    host({
      id,
      arch: 'aarch64',
      cpuVendor: 'arm',
      iommu: { model: 'arm-smmuv3' },
      groups: [group(1, [nic('0000:81:00.0')], [ARM_SW_MSI])],
    });
  const armGuest = (viommu: 'smmuv3' | 'virtio-iommu') =>
    guest({
      id: 'vm',
      host: 'src',
      machine: 'virt-8.2',
      cpuVendor: 'arm',
      viommu,
      hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }],
    });

  it("fires for QEMU's emulated SMMUv3 with a VFIO reservation", () => {
    expect(codesOf(planMigration(fleetOf([arm('src'), arm('dst')], [armGuest('smmuv3')]), 'vm', 'dst'))).toContain(
      'VIOMMU_CANNOT_HOST_VFIO',
    );
  });

  it('is silent with virtio-iommu', () => {
    expect(
      codesOf(planMigration(fleetOf([arm('src'), arm('dst')], [armGuest('virtio-iommu')]), 'vm', 'dst')),
    ).not.toContain('VIOMMU_CANNOT_HOST_VFIO');
  });
});

describe('VIOMMU_BLOCKS_VFIO_MIGRATION', () => {
  const withDevice = (viommu: 'intel-iommu' | 'none') =>
    guest({ id: 'vm', host: 'src', viommu, devices: [{ id: 'nic0', kind: 'vfio', hostDevice: '0000:81:00.0' }] });

  it('blocks migrating a guest whose VFIO device sits behind a vIOMMU', () => {
    expect(
      conflict(
        planMigration(fleetOf([x86('src'), x86('dst')], [withDevice('intel-iommu')]), 'vm', 'dst'),
        'VIOMMU_BLOCKS_VFIO_MIGRATION',
      )?.severity,
    ).toBe('error');
  });

  it('is silent without a vIOMMU', () => {
    expect(codesOf(planMigration(fleetOf([x86('src'), x86('dst')], [withDevice('none')]), 'vm', 'dst'))).not.toContain(
      'VIOMMU_BLOCKS_VFIO_MIGRATION',
    );
  });

  it('warns on hot-plug that the guest will no longer migrate', () => {
    const vm = guest({ id: 'vm', host: 'src', viommu: 'intel-iommu' });
    expect(
      conflict(
        planHotplug(fleetOf([x86('src')], [vm]), 'vm', { kind: 'vfio', hostDevice: '0000:81:00.0' }),
        'VIOMMU_BLOCKS_VFIO_MIGRATION',
      )?.severity,
    ).toBe('warning');
  });
});
