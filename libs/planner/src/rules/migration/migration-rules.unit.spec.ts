// Migration compatibility (docs/domain.md#migration-compatibility, #vfio-migration).
import { describe, expect, it } from 'vitest';
import { planHotplug, planMigration } from '../../index.js';
import { codesOf, conflict, fleetOf, group, guest, host, nic } from '../../test-support/fleet-fixtures.js';

describe('VFIO_DEVICE_NOT_MIGRATABLE', () => {
  const pair = (sourceMigratable: boolean, destinationMigratable: boolean) => [
    host({ id: 'src', groups: [group(1, [nic('0000:81:00.0', { migratable: sourceMigratable })])] }),
    host({ id: 'dst', groups: [group(1, [nic('0000:81:00.0', { migratable: destinationMigratable })])] }),
  ];
  const vm = guest({ id: 'vm', host: 'src', devices: [{ id: 'nic0', kind: 'vfio', hostDevice: '0000:81:00.0' }] });
  const sides = (plan: ReturnType<typeof planMigration>) =>
    plan.conflicts.filter((c) => c.code === 'VFIO_DEVICE_NOT_MIGRATABLE').map((c) => c.evidence.side);

  it('blocks when the source device has no VFIO migration driver', () => {
    expect(sides(planMigration(fleetOf(pair(false, true), [vm]), 'vm', 'dst'))).toEqual(['source']);
  });

  it('blocks when the destination device cannot resume the state', () => {
    expect(sides(planMigration(fleetOf(pair(true, false), [vm]), 'vm', 'dst'))).toEqual(['destination']);
  });

  it('is silent when both have migration drivers', () => {
    expect(sides(planMigration(fleetOf(pair(true, true), [vm]), 'vm', 'dst'))).toEqual([]);
  });

  it('warns on hot-plug of a device without one', () => {
    const here = host({ id: 'h', groups: [group(1, [nic('0000:81:00.0', { migratable: false })])] });
    const plan = planHotplug(fleetOf([here], [guest({ id: 'vm', host: 'h' })]), 'vm', {
      kind: 'vfio',
      hostDevice: '0000:81:00.0',
    });
    expect(conflict(plan, 'VFIO_DEVICE_NOT_MIGRATABLE')?.severity).toBe('warning');
  });
});

describe('POSTCOPY_WITH_VFIO', () => {
  const hosts = [
    host({ id: 'src', groups: [group(1, [nic('0000:81:00.0')])] }),
    host({ id: 'dst', groups: [group(1, [nic('0000:81:00.0')])] }),
  ];

  it('refuses postcopy for a guest with a VFIO device', () => {
    const vm = guest({ id: 'vm', host: 'src', devices: [{ id: 'nic0', kind: 'vfio', hostDevice: '0000:81:00.0' }] });
    expect(codesOf(planMigration(fleetOf(hosts, [vm]), 'vm', 'dst', { postcopy: true }))).toContain(
      'POSTCOPY_WITH_VFIO',
    );
    expect(codesOf(planMigration(fleetOf(hosts, [vm]), 'vm', 'dst', { postcopy: false }))).not.toContain(
      'POSTCOPY_WITH_VFIO',
    );
  });

  it('allows postcopy when VFIO is only reserved (nothing to transfer yet)', () => {
    const vm = guest({ id: 'vm', host: 'src', hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }] });
    expect(codesOf(planMigration(fleetOf(hosts, [vm]), 'vm', 'dst', { postcopy: true }))).not.toContain(
      'POSTCOPY_WITH_VFIO',
    );
  });
});

describe('ARCH_MISMATCH, MACHINE_TYPE_UNSUPPORTED, CPU_VENDOR_MISMATCH', () => {
  const migrateTo = (destination: Parameters<typeof host>[0], machine = 'pc-q35-9.0') =>
    planMigration(
      fleetOf([host({ id: 'src' }), host(destination)], [guest({ id: 'vm', host: 'src', machine })]),
      'vm',
      destination.id,
    );

  it('an Intel q35 guest and an aarch64 host: the vCPU architecture and the machine family are both wrong, nothing about the vendor follows', () => {
    const plan = migrateTo({ id: 'dst', arch: 'aarch64', cpuVendor: 'arm', iommu: { model: 'arm-smmuv3' } });
    expect(codesOf(plan)).toEqual(['ARCH_MISMATCH', 'MACHINE_TYPE_UNSUPPORTED']);
    expect(conflict(plan, 'ARCH_MISMATCH')?.evidence).toMatchObject({ guestArch: 'x86_64', hostArch: 'aarch64' });
    expect(conflict(plan, 'MACHINE_TYPE_UNSUPPORTED')?.evidence).toMatchObject({
      family: 'pc-q35',
      familyArch: 'x86_64',
    });
    expect(codesOf(migrateTo({ id: 'dst' }))).not.toContain('ARCH_MISMATCH');
  });

  it('ARCH_MISMATCH tells POWER from s390x by the machine family for ibm vCPUs', () => {
    const s390 = guest({ id: 'vm', host: 'z1', machine: 's390-ccw-virtio-8.2', cpuVendor: 'ibm' });
    const hosts = [
      host({ id: 'z1', arch: 's390x', cpuVendor: 'ibm', iommu: { model: 's390-zpci' } }),
      host({ id: 'z2', arch: 's390x', cpuVendor: 'ibm', iommu: { model: 's390-zpci' } }),
    ];
    expect(codesOf(planMigration(fleetOf(hosts, [s390]), 'vm', 'z2'))).toEqual([]);
  });

  it('MACHINE_TYPE_UNSUPPORTED fires when the destination QEMU is older than the machine type', () => {
    expect(conflict(migrateTo({ id: 'dst', qemuVersion: '8.2' }), 'MACHINE_TYPE_UNSUPPORTED')?.evidence).toMatchObject({
      machineVersion: '9.0',
      hostQemuVersion: '8.2',
    });
    expect(codesOf(migrateTo({ id: 'dst', qemuVersion: '9.0' }))).not.toContain('MACHINE_TYPE_UNSUPPORTED');
  });

  it('CPU_VENDOR_MISMATCH fires for an Intel vCPU and an AMD host', () => {
    expect(codesOf(migrateTo({ id: 'dst', cpuVendor: 'amd', iommu: { model: 'amd-vi' } }))).toContain(
      'CPU_VENDOR_MISMATCH',
    );
    expect(codesOf(migrateTo({ id: 'dst', cpuVendor: 'intel' }))).not.toContain('CPU_VENDOR_MISMATCH');
  });
});

describe('INSUFFICIENT_MEMORY', () => {
  // 64 GiB host with a resident guest at maxmem 48 GiB: 16 GiB free.
  const fleet = (ram: string) =>
    fleetOf(
      [host({ id: 'src' }), host({ id: 'dst', memory: '64GiB' })],
      [
        guest({ id: 'resident', host: 'dst', memory: { ram: '32GiB', max: '48GiB' } }),
        guest({ id: 'vm', host: 'src', memory: { ram } }),
      ],
    );

  it('fires when the guest needs more than is free', () => {
    expect(conflict(planMigration(fleet('17GiB'), 'vm', 'dst'), 'INSUFFICIENT_MEMORY')?.evidence).toMatchObject({
      free: '16GiB',
      usedByGuests: '48GiB',
      guestMaxMemory: '17GiB',
    });
  });

  it('is silent when it needs exactly what is free', () => {
    expect(codesOf(planMigration(fleet('16GiB'), 'vm', 'dst'))).not.toContain('INSUFFICIENT_MEMORY');
  });
});

describe('HOST_NOT_SCHEDULABLE', () => {
  const plan = (cordoned?: string) =>
    planMigration(
      fleetOf([host({ id: 'src' }), host({ id: 'dst' }, { cordoned })], [guest({ id: 'vm', host: 'src' })]),
      'vm',
      'dst',
    );

  it('fires for a cordoned destination', () => {
    expect(conflict(plan('firmware update'), 'HOST_NOT_SCHEDULABLE')?.evidence).toMatchObject({
      reason: 'cordoned: firmware update',
    });
  });

  it('is silent otherwise', () => {
    expect(plan().verdict).toBe('ok');
  });
});
