// Interrupt isolation, per-device isolation and VFIO backends (docs/domain.md#isolation, #iommu-quirk-list, #msi-x86, #vfio-backend-types).
import { describe, expect, it } from 'vitest';
import { planMigration } from '../../index.js';
import { codesOf, conflict, fleetOf, group, guest, host, nic } from '../../test-support/fleet-fixtures.js';

const source = host({ id: 'src', groups: [group(1, [nic('0000:81:00.0')])] });
const vm = guest({ id: 'vm', host: 'src', hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }] });
const migrateTo = (destination: Parameters<typeof host>[0]) =>
  planMigration(
    fleetOf([source, host({ groups: [group(1, [nic('0000:81:00.0')])], ...destination })], [vm]),
    'vm',
    destination.id,
  );

describe('NO_INTERRUPT_REMAPPING', () => {
  it('is an error without interrupt remapping (attach fails with -EPERM)', () => {
    expect(
      conflict(migrateTo({ id: 'dst', iommu: { interruptRemapping: false } }), 'NO_INTERRUPT_REMAPPING')?.severity,
    ).toBe('error');
  });

  it('is corruption (isolation lost) when allow_unsafe_interrupts lets the attach through', () => {
    expect(
      conflict(
        migrateTo({ id: 'dst', iommu: { interruptRemapping: false, allowUnsafeInterrupts: true } }),
        'NO_INTERRUPT_REMAPPING',
      )?.severity,
    ).toBe('corruption');
  });

  it('is silent with interrupt remapping', () => {
    expect(codesOf(migrateTo({ id: 'dst', iommu: { interruptRemapping: true } }))).not.toContain(
      'NO_INTERRUPT_REMAPPING',
    );
  });

  it('is silent for a guest that assigns nothing', () => {
    const plain = guest({ id: 'vm', host: 'src' });
    const destination = host({ id: 'dst', iommu: { interruptRemapping: false } });
    expect(codesOf(planMigration(fleetOf([source, destination], [plain]), 'vm', 'dst'))).toEqual([]);
  });
});

describe('NO_PER_DEVICE_ISOLATION', () => {
  it('fires on a host without an IOMMU', () => {
    expect(
      conflict(migrateTo({ id: 'dst', iommu: { model: 'none', vfioBackends: [] } }), 'NO_PER_DEVICE_ISOLATION')
        ?.severity,
    ).toBe('corruption');
  });

  it('fires on a host that offers only the noiommu backend', () => {
    expect(codesOf(migrateTo({ id: 'dst', iommu: { vfioBackends: ['noiommu'] } }))).toContain(
      'NO_PER_DEVICE_ISOLATION',
    );
  });

  it('is silent when noiommu is advertised next to type1v2', () => {
    expect(codesOf(migrateTo({ id: 'dst', iommu: { vfioBackends: ['type1v2', 'noiommu'] } }))).not.toContain(
      'NO_PER_DEVICE_ISOLATION',
    );
  });
});

describe('VFIO_BACKEND_UNAVAILABLE', () => {
  it('fires when the host advertises no backend QEMU can use on x86', () => {
    expect(
      conflict(migrateTo({ id: 'dst', iommu: { vfioBackends: ['noiommu'] } }), 'VFIO_BACKEND_UNAVAILABLE')?.evidence,
    ).toMatchObject({ needed: ['type1v2', 'type1'] });
  });

  it('is silent with type1 alone', () => {
    expect(codesOf(migrateTo({ id: 'dst', iommu: { vfioBackends: ['type1'] } }))).not.toContain(
      'VFIO_BACKEND_UNAVAILABLE',
    );
  });
});

describe('IOMMU_IGNORED_BY_HYPERVISOR', () => {
  it('fires when the device to assign is on the quirk list', () => {
    expect(
      conflict(migrateTo({ id: 'dst', iommu: { ignoreIommuFor: ['0000:81:00.0'] } }), 'IOMMU_IGNORED_BY_HYPERVISOR')
        ?.severity,
    ).toBe('corruption');
  });

  it('is silent when only the neighbouring function is listed', () => {
    expect(codesOf(migrateTo({ id: 'dst', iommu: { ignoreIommuFor: ['0000:81:00.1'] } }))).not.toContain(
      'IOMMU_IGNORED_BY_HYPERVISOR',
    );
  });
});
