// IOMMU groups and device resolution (docs/domain.md#region-types, #iommu-groups).
import { describe, expect, it } from 'vitest';
import { planHotplug, planMigration } from '../../index.js';
import { X86_MSI, codesOf, conflict, fleetOf, group, guest, host, nic } from '../../test-support/fleet-fixtures.js';

const source = host({ id: 'src', groups: [group(1, [nic('0000:81:00.0')])] });
const reserving = (deviceClass: 'network' | 'gpu' = 'network', extra = {}) =>
  guest({ id: 'vm', host: 'src', hotplugReservations: [{ kind: 'vfio', deviceClass }], ...extra });
const migrate = (destination: ReturnType<typeof host>, vm = reserving(), others: ReturnType<typeof guest>[] = []) =>
  planMigration(fleetOf([source, destination], [vm, ...others]), 'vm', destination.host.id);

describe('GROUP_HAS_DIRECT_REGION', () => {
  const withDirect = (type: 'direct' | 'direct-relaxable', extra = {}) =>
    host({
      id: 'dst',
      groups: [group(4, [nic('0000:81:00.0')], [X86_MSI, { start: '0x7b800000', end: '0x7b9fffff', type }])],
      ...extra,
    });

  it('refuses a group with a direct (RMRR) region on a current kernel', () => {
    const found = conflict(migrate(withDirect('direct')), 'GROUP_HAS_DIRECT_REGION');
    expect(found?.severity).toBe('error');
    expect(found?.evidence).toMatchObject({
      groupId: 4,
      directRegions: [{ start: '0x7b800000', end: '0x7b9fffff', type: 'direct' }],
    });
  });

  it('only warns on an AMD host with a kernel older than 6.6, which still attaches it', () => {
    const amd = withDirect('direct', { kernel: '6.5.0', cpuVendor: 'amd', iommu: { model: 'amd-vi' } });
    expect(
      conflict(migrate(amd, reserving('network', { cpuVendor: 'amd' })), 'GROUP_HAS_DIRECT_REGION')?.severity,
    ).toBe('warning');
  });

  it('is silent for a direct-relaxable region (USB/graphics RMRR, ignored by VFIO)', () => {
    expect(codesOf(migrate(withDirect('direct-relaxable')))).not.toContain('GROUP_HAS_DIRECT_REGION');
  });
});

describe('GROUP_NOT_VIABLE', () => {
  // A NIC and an NVMe drive behind one non-ACS switch share a group (docs/domain.md#bridge-windows, #iommu-groups).
  const destination = (siblingDriver: string) =>
    host({
      id: 'dst',
      groups: [group(9, [nic('0000:81:00.0'), nic('0000:81:00.1', { class: 'storage', driver: siblingDriver })])],
    });

  it('fires when another member of the group is bound to a native driver', () => {
    const found = conflict(migrate(destination('nvme')), 'GROUP_NOT_VIABLE');
    expect(found?.evidence).toMatchObject({
      groupId: 9,
      boundToNativeDriver: [{ address: '0000:81:00.1', driver: 'nvme' }],
    });
  });

  it('lets a class reservation take the natively bound device when that makes the group viable (it is rebound on hot-plug)', () => {
    const twoNics = host({
      id: 'dst',
      groups: [group(9, [nic('0000:81:00.0'), nic('0000:81:00.1', { driver: 'mlx5_core' })])],
    });
    expect(codesOf(migrate(twoNics))).not.toContain('GROUP_NOT_VIABLE');
  });

  it.each(['pci-stub', 'vfio-pci', 'mlx5_vfio_pci', 'none'])('is silent when the sibling is bound to %s', (driver) => {
    expect(codesOf(migrate(destination(driver)))).not.toContain('GROUP_NOT_VIABLE');
  });
});

describe('GROUP_SPLIT_ACROSS_GUESTS', () => {
  const destination = host({
    id: 'dst',
    groups: [group(5, [nic('0000:81:00.0'), nic('0000:81:00.1')]), group(6, [nic('0000:82:00.0')])],
  });
  const holder = (address: string) =>
    guest({ id: 'other', host: 'dst', devices: [{ id: 'nic0', kind: 'vfio', hostDevice: address }] });
  const wantsGroup5 = () =>
    reserving('network', { hotplugReservations: [{ kind: 'vfio', hostDevice: '0000:81:00.0' }] });

  it('fires when another guest on the destination holds a device of the same group', () => {
    const found = conflict(migrate(destination, wantsGroup5(), [holder('0000:81:00.1')]), 'GROUP_SPLIT_ACROSS_GUESTS');
    expect(found?.evidence).toMatchObject({ groupId: 5, heldBy: [{ address: '0000:81:00.1', guests: ['other'] }] });
  });

  it('is silent when the other guest holds a device of another group', () => {
    expect(codesOf(migrate(destination, wantsGroup5(), [holder('0000:82:00.0')]))).not.toContain(
      'GROUP_SPLIT_ACROSS_GUESTS',
    );
  });

  it('makes a class reservation pick a free group instead', () => {
    // network devices: 81:00.0 and 81:00.1 (group 5, held through 81:00.1) and 82:00.0 (group 6, free).
    expect(codesOf(migrate(destination, reserving(), [holder('0000:81:00.1')]))).not.toContain(
      'GROUP_SPLIT_ACROSS_GUESTS',
    );
  });
});

describe('HOST_DEVICE_NOT_FOUND', () => {
  const vm = () =>
    guest({ id: 'vm', host: 'src', devices: [{ id: 'hba0', kind: 'vfio', hostDevice: '0000:81:00.0' }] });

  it('fires when the destination lacks the PCI address of an assigned device', () => {
    const destination = host({ id: 'dst', groups: [group(1, [nic('0000:82:00.0')])] });
    expect(conflict(migrate(destination, vm()), 'HOST_DEVICE_NOT_FOUND')?.evidence).toMatchObject({
      device: '0000:81:00.0',
      target: { origin: 'device', id: 'hba0' },
    });
  });

  it('is silent when the destination has it', () => {
    const destination = host({ id: 'dst', groups: [group(1, [nic('0000:81:00.0')])] });
    expect(codesOf(migrate(destination, vm()))).not.toContain('HOST_DEVICE_NOT_FOUND');
  });

  it('fires for a hot-plug naming an address the current host does not have', () => {
    const vm2 = guest({ id: 'vm', host: 'src' });
    expect(
      codesOf(planHotplug(fleetOf([source], [vm2]), 'vm', { kind: 'vfio', hostDevice: '0000:99:00.0' })),
    ).toContain('HOST_DEVICE_NOT_FOUND');
  });
});

describe('NO_MATCHING_DEVICE_FOR_RESERVATION', () => {
  const destination = host({ id: 'dst', groups: [group(1, [nic('0000:81:00.0')])] });

  it('fires when the destination has no device of the reserved class', () => {
    expect(
      conflict(migrate(destination, reserving('gpu')), 'NO_MATCHING_DEVICE_FOR_RESERVATION')?.evidence,
    ).toMatchObject({ deviceClass: 'gpu' });
  });

  it('is silent when it has one', () => {
    expect(codesOf(migrate(destination, reserving('network')))).not.toContain('NO_MATCHING_DEVICE_FOR_RESERVATION');
  });

  it('needs one device per reservation: two network reservations, one network device', () => {
    const vm = guest({
      id: 'vm',
      host: 'src',
      hotplugReservations: [
        { kind: 'vfio', deviceClass: 'network' },
        { kind: 'vfio', deviceClass: 'network' },
      ],
    });
    const found = conflict(migrate(destination, vm), 'NO_MATCHING_DEVICE_FOR_RESERVATION');
    expect(found?.evidence).toMatchObject({ target: { id: 'vfio-network-2' }, alreadyClaimedByGuest: 1 });
  });
});
