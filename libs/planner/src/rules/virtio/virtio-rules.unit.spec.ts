// VIRTIO_F_ACCESS_PLATFORM: the docs/domain.md#virtio-matrix table, with machine-level defaults each device may override (#virtio-machine-defaults).
import type { GuestInput, MachineDefault } from '@ferry/domain';
import { describe, expect, it } from 'vitest';
import { planHotplug, planMigration } from '../../index.js';
import { codesOf, conflict, fleetOf, group, guest, host, nic } from '../../test-support/fleet-fixtures.js';

const hosts = [host({ id: 'src' }), host({ id: 'dst' })];
const Q35_ON: MachineDefault[] = [{ machine: 'pc-q35-*', virtioIommuPlatform: true }];
type Device = NonNullable<GuestInput['devices']>[number];

function migrate(device: Partial<Device>, guestExtra: Partial<GuestInput> = {}, defaults: MachineDefault[] = []) {
  const vm = guest({ id: 'vm', host: 'src', devices: [{ id: 'net0', kind: 'virtio-net', ...device }], ...guestExtra });
  return planMigration(fleetOf(hosts, [vm], defaults), 'vm', 'dst');
}

describe('VIRTIO_PLATFORM_ON_TRANSITIONAL', () => {
  it('fires for iommu_platform=on on a transitional device', () => {
    expect(
      conflict(migrate({ iommuPlatform: true, transitional: true }), 'VIRTIO_PLATFORM_ON_TRANSITIONAL')?.severity,
    ).toBe('error');
  });

  it('fires when the machine default turns the bit on for a device that does not set it', () => {
    expect(
      conflict(migrate({ transitional: true }, {}, Q35_ON), 'VIRTIO_PLATFORM_ON_TRANSITIONAL')?.evidence,
    ).toMatchObject({ iommuPlatformSource: 'machine-default', machineDefault: 'pc-q35-*' });
  });

  it('is silent for a transitional device with the bit off, or no default (QEMU default off)', () => {
    expect(codesOf(migrate({ iommuPlatform: false, transitional: true }, {}, Q35_ON))).not.toContain(
      'VIRTIO_PLATFORM_ON_TRANSITIONAL',
    );
    expect(codesOf(migrate({ transitional: true }))).not.toContain('VIRTIO_PLATFORM_ON_TRANSITIONAL');
  });
});

describe('VIRTIO_DRIVER_NO_ACCESS_PLATFORM', () => {
  const oldDriver = { guestOs: { acksAccessPlatform: false } };

  it('fires when the device offers the bit and the driver cannot acknowledge it', () => {
    expect(conflict(migrate({ iommuPlatform: true }, oldDriver), 'VIRTIO_DRIVER_NO_ACCESS_PLATFORM')?.severity).toBe(
      'error',
    );
  });

  it('is silent when the driver acknowledges it', () => {
    expect(codesOf(migrate({ iommuPlatform: true }, { guestOs: { acksAccessPlatform: true } }))).not.toContain(
      'VIRTIO_DRIVER_NO_ACCESS_PLATFORM',
    );
  });

  it('is silent on s390x ccw outside PV (revision-0 drivers never see bit 33; QEMU skips the check)', () => {
    const s390 = host({ id: 's1', arch: 's390x', cpuVendor: 'ibm', iommu: { model: 's390-zpci' } });
    const vm = guest({
      id: 'vm',
      host: 's1',
      machine: 's390-ccw-virtio-8.2',
      cpuVendor: 'ibm',
      guestOs: { acksAccessPlatform: false },
    });
    expect(
      codesOf(planHotplug(fleetOf([s390], [vm]), 'vm', { id: 'net1', kind: 'virtio-net', iommuPlatform: true })),
    ).toEqual([]);
  });
});

describe('VIRTIO_BYPASS_UNDER_VIOMMU', () => {
  it('warns that a device with the bit off bypasses the vIOMMU', () => {
    const plan = migrate({ iommuPlatform: false }, { viommu: 'intel-iommu' });
    expect(conflict(plan, 'VIRTIO_BYPASS_UNDER_VIOMMU')?.severity).toBe('warning');
    expect(plan.verdict).toBe('warnings');
  });

  it('is silent when the device honours the vIOMMU', () => {
    expect(codesOf(migrate({ iommuPlatform: true }, { viommu: 'intel-iommu' }))).not.toContain(
      'VIRTIO_BYPASS_UNDER_VIOMMU',
    );
  });
});

describe('VIRTIO_PASSTHROUGH_TO_NESTED', () => {
  const nested = { viommu: 'intel-iommu' as const, guestOs: { nestedDriversInGuest: true } };

  it('is corruption when the guest hands devices to userspace or L2 through the vIOMMU and the device bypasses it', () => {
    const plan = migrate({ iommuPlatform: false }, nested);
    expect(conflict(plan, 'VIRTIO_PASSTHROUGH_TO_NESTED')?.severity).toBe('corruption');
    expect(codesOf(plan)).not.toContain('VIRTIO_BYPASS_UNDER_VIOMMU');
  });

  it('is silent when the device offers the bit', () => {
    expect(codesOf(migrate({ iommuPlatform: true }, nested))).not.toContain('VIRTIO_PASSTHROUGH_TO_NESTED');
  });
});

describe('VIRTIO_ACCESS_PLATFORM_REQUIRED', () => {
  it.each(['sev', 'tdx'] as const)('fires for a %s guest whose device lacks the bit', (confidential) => {
    expect(codesOf(migrate({ iommuPlatform: false }, { guestOs: { confidential } }))).toContain(
      'VIRTIO_ACCESS_PLATFORM_REQUIRED',
    );
  });

  it('fires for a Xen guest', () => {
    expect(codesOf(migrate({ iommuPlatform: false }, { guestOs: { xen: true } }))).toContain(
      'VIRTIO_ACCESS_PLATFORM_REQUIRED',
    );
  });

  it('is silent when the device offers the bit', () => {
    expect(codesOf(migrate({ iommuPlatform: true }, { guestOs: { confidential: 'sev' } }))).not.toContain(
      'VIRTIO_ACCESS_PLATFORM_REQUIRED',
    );
  });
});

describe('VIRTIO_PHYSICAL_WITHOUT_ACCESS_PLATFORM', () => {
  const withVdpa = (accessPlatform: boolean) =>
    host({ id: 'h', groups: [group(3, [nic('0000:3b:00.2', { virtio: true, accessPlatform })])] });
  const plan = (accessPlatform: boolean) =>
    planHotplug(fleetOf([withVdpa(accessPlatform)], [guest({ id: 'vm', host: 'h' })]), 'vm', {
      id: 'vdpa0',
      kind: 'vdpa',
      hostDevice: '0000:3b:00.2',
    });

  it('fires for physical virtio hardware that does not offer ACCESS_PLATFORM', () => {
    expect(conflict(plan(false), 'VIRTIO_PHYSICAL_WITHOUT_ACCESS_PLATFORM')?.severity).toBe('corruption');
  });

  it('is silent when it does', () => {
    expect(codesOf(plan(true))).not.toContain('VIRTIO_PHYSICAL_WITHOUT_ACCESS_PLATFORM');
  });
});

it('checks virtio reservations too: the device the guest may get later', () => {
  const vm = guest({
    id: 'vm',
    host: 'src',
    guestOs: { acksAccessPlatform: false },
    hotplugReservations: [{ kind: 'virtio-blk' }],
  });
  expect(codesOf(planMigration(fleetOf(hosts, [vm], Q35_ON), 'vm', 'dst'))).toContain(
    'VIRTIO_DRIVER_NO_ACCESS_PLATFORM',
  );
});
