// The scenarios of the issue, as pure planner calls on hand-built fleets (the API re-runs them end to end).
import { DomainError } from '@ferry/domain';
import { describe, expect, it } from 'vitest';
import { planHotplug, planMigration } from '../index.js';
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
} from '../test-support/fleet-fixtures.js';

describe('(a) docs/domain.md#migrate-then-hotplug: defined on host 0, migrated to host 1, then a VFIO hot-plug', () => {
  describe('aarch64', () => {
    const smmu = { model: 'arm-smmuv3' as const, addressWidthBits: 48 };
    // Host 0: SMMUv3 translating ITS writes — only the SW_MSI window, which never meets virt RAM (docs/domain.md#layout-arm-virt).
    const host0 = host({
      id: 'host-a',
      arch: 'aarch64',
      cpuVendor: 'arm',
      iommu: smmu,
      groups: [group(12, [nic('0000:81:00.0')], [ARM_SW_MSI])],
    });
    // Host 1, HiSilicon Hi1616-style: ITS at 0xc6000000, untranslated, so the kernel reports ITS_base + 64 KiB as hardware msi (docs/domain.md#msi-bypass).
    const hisilicon = host({
      id: 'host-b',
      arch: 'aarch64',
      cpuVendor: 'arm',
      iommu: smmu,
      groups: [group(12, [nic('0000:81:00.0')], [ARM_SW_MSI, { start: '0xc6010000', end: '0xc601ffff', type: 'msi' }])],
    });
    // Host 1 with an IORT RMR (firmware-owned buffer, must not be remapped) inside the guest's RAM.
    const rmr = host({
      id: 'host-c',
      arch: 'aarch64',
      cpuVendor: 'arm',
      iommu: smmu,
      groups: [
        group(12, [nic('0000:81:00.0')], [ARM_SW_MSI, { start: '0x1ff000000', end: '0x1ff0fffff', type: 'reserved' }]),
      ],
    });
    // virt: RAM at 0x40000000; 8 GiB → [0x40000000, 0x23fffffff]. The map is fixed when the guest is defined (docs/domain.md#migrate-then-hotplug, step 1).
    const vm = guest({
      id: 'vm-1',
      host: 'host-a',
      machine: 'virt-8.2',
      cpuVendor: 'arm',
      memory: { ram: '8GiB' },
      hotplugReservations: [{ id: 'nic', kind: 'vfio', deviceClass: 'network' }],
    });
    const fleet = fleetOf([host0, hisilicon, rmr], [vm]);

    it('the hot-plug is fine on host 0', () => {
      expect(planHotplug(fleet, 'vm-1', { kind: 'vfio', deviceClass: 'network' }).verdict).toBe('ok');
    });

    it('migration to the HiSilicon host is blocked, naming the MSI region and the guest RAM it lands in', () => {
      const plan = planMigration(fleet, 'vm-1', 'host-b');
      expect(plan.verdict).toBe('blocked');
      expect(codesOf(plan)).toEqual(['MSI_WINDOW_OVERLAPS_GUEST_RAM']);
      expect(plan.conflicts[0]!.evidence).toMatchObject({
        hostId: 'host-b',
        groupId: 12,
        region: { start: '0xc6010000', end: '0xc601ffff', type: 'msi' },
        guestRange: { start: '0x40000000', end: '0x23fffffff', kind: 'ram' },
        target: { origin: 'reservation', id: 'nic' },
      });
    });

    it('migration to the RMR host is blocked by the reserved region', () => {
      const plan = planMigration(fleet, 'vm-1', 'host-c');
      expect(codesOf(plan)).toEqual(['RESV_OVERLAPS_GUEST_RAM']);
      expect(plan.conflicts[0]!.evidence).toMatchObject({
        region: { start: '0x1ff000000', end: '0x1ff0fffff' },
        overlap: { start: '0x1ff000000', end: '0x1ff0fffff' },
      });
    });
  });

  describe('x86: Intel host → AMD host, RAM across 0xfd00000000', () => {
    const intel = host({ id: 'intel-1', memory: '2TiB', groups: [group(20, [nic('0000:81:00.0')])] });
    const amd = host({
      id: 'amd-1',
      cpuVendor: 'amd',
      memory: '2TiB',
      iommu: { model: 'amd-vi' },
      groups: [group(20, [nic('0000:81:00.0')], [X86_MSI, AMD_HT])],
    });
    // 1100 GiB q35: above-4G RAM [0x100000000, 0x1137fffffff] crosses the HT hole [0xfd00000000, 0xffffffffff].
    const big = (machine: string, cpuVendor: 'intel' | 'amd') =>
      guest({
        id: 'vm-2',
        host: 'intel-1',
        machine,
        cpuVendor,
        memory: { ram: '1100GiB' },
        physBits: 46, // QEMU refuses 1100 GiB under 40 phys-bits
        hotplugReservations: [{ id: 'nic', kind: 'vfio', deviceClass: 'network' }],
      });

    it('an Intel vCPU guest: the HT hole and the vendor change are both reported at migration time', () => {
      const plan = planMigration(fleetOf([intel, amd], [big('pc-q35-8.2', 'intel')]), 'vm-2', 'amd-1');
      expect(codesOf(plan).sort()).toEqual(['AMD_HT_HOLE_OVERLAP', 'CPU_VENDOR_MISMATCH']);
      expect(conflict(plan, 'AMD_HT_HOLE_OVERLAP')?.evidence).toMatchObject({
        hole: { start: '0xfd00000000', end: '0xffffffffff' },
        guestRange: { start: '0x100000000', end: '0x1137fffffff' },
        qemuRelocatesRam: false,
      });
    });

    it('an AMD vCPU guest on machine ≤ 7.0 (no relocation): the HT hole alone', () => {
      const plan = planMigration(fleetOf([intel, amd], [big('pc-q35-7.0', 'amd')]), 'vm-2', 'amd-1');
      expect(codesOf(plan)).toEqual(['AMD_HT_HOLE_OVERLAP']);
      expect(plan.conflicts[0]!.severity).toBe('error');
    });
  });
});

describe('(b) POWER: a pseries KVM-PR host advertising spapr-tce-v2', () => {
  const spapr = {
    dma32Window: { start: '0x0', size: '1GiB' },
    dma64WindowAddr: '0x800000000000000',
    pageSizes: ['4KiB', '64KiB', '16MiB'],
  };
  const power = (id: string, kvm: 'hv' | 'pr') =>
    host({
      id,
      arch: 'ppc64le',
      cpuVendor: 'ibm',
      iommu: { model: 'spapr-tce', kvm, vfioBackends: ['spapr-tce-v1', 'spapr-tce-v2'] },
      spapr,
      groups: [group(1, [nic('0001:01:00.0')], [])],
    });
  const vm = guest({
    id: 'vm-p',
    host: 'p-hv',
    machine: 'pseries-8.2',
    cpuVendor: 'ibm',
    memory: { ram: '16GiB' },
    hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }],
  });
  const plan = planMigration(fleetOf([power('p-hv', 'hv'), power('p-pr', 'pr')], [vm]), 'vm-p', 'p-pr');

  it('reports the fallback to v1', () => {
    expect(conflict(plan, 'SPAPR_V2_FALLBACK_V1')?.evidence).toMatchObject({
      advertised: ['spapr-tce-v1', 'spapr-tce-v2'],
      effective: 'spapr-tce-v1',
    });
  });

  it('and the 32-bit window limit it leaves the guest with', () => {
    const window = conflict(plan, 'SPAPR_WINDOW_TOO_SMALL');
    expect(window?.severity).toBe('error');
    expect(window?.evidence).toMatchObject({
      hostDma32Window: { start: '0x0', end: '0x3fffffff', size: '1GiB' },
      guestMaxMemory: '16GiB',
      ddwUsable: false,
    });
    expect(plan.verdict).toBe('blocked');
  });
});

describe('(c) q35 + intel-iommu, a virtio device with iommuPlatform: false, nested drivers in the guest', () => {
  const hosts = [host({ id: 'h1' }), host({ id: 'h2' })];
  const vm = guest({
    id: 'vm-c',
    host: 'h1',
    viommu: 'intel-iommu',
    guestOs: { nestedDriversInGuest: true },
    devices: [{ id: 'net0', kind: 'virtio-net', iommuPlatform: false }],
  });

  it('is corruption in a migration plan', () => {
    const plan = planMigration(fleetOf(hosts, [vm]), 'vm-c', 'h2');
    expect(conflict(plan, 'VIRTIO_PASSTHROUGH_TO_NESTED')?.severity).toBe('corruption');
    expect(plan.verdict).toBe('blocked');
  });

  it('and when hot-plugging another such device', () => {
    const plan = planHotplug(fleetOf(hosts, [vm]), 'vm-c', { id: 'blk1', kind: 'virtio-blk', iommuPlatform: false });
    expect(plan.conflicts.map((c) => [c.code, c.severity])).toEqual([['VIRTIO_PASSTHROUGH_TO_NESTED', 'corruption']]);
  });
});

describe('(d) a group whose second device is still bound to a native driver', () => {
  // An i350 port for the guest and its sibling port still on igb, in one group.
  const h = host({
    id: 'h1',
    groups: [
      group(31, [
        nic('0000:05:00.0', { vendor: '0x8086', device: '0x1521' }),
        nic('0000:05:00.1', { class: 'other', driver: 'igb' }),
      ]),
    ],
  });
  const vm = guest({ id: 'vm-d', host: 'h1' });

  it('GROUP_NOT_VIABLE on hot-plug', () => {
    const plan = planHotplug(fleetOf([h], [vm]), 'vm-d', { id: 'nic0', kind: 'vfio', hostDevice: '0000:05:00.0' });
    expect(codesOf(plan)).toEqual(['GROUP_NOT_VIABLE']);
    expect(plan.conflicts[0]!.evidence).toMatchObject({
      groupId: 31,
      boundToNativeDriver: [{ address: '0000:05:00.1', driver: 'igb' }],
    });
    expect(plan.conflicts[0]!.remedy).toMatch(/0000:05:00\.1/);
  });
});

describe('(e) a clean migration', () => {
  const hosts = [
    host({ id: 'h1', pool: 'rack-1', groups: [group(1, [nic('0000:81:00.0')])] }),
    host({ id: 'h2', pool: 'rack-1', groups: [group(1, [nic('0000:81:00.0')])] }),
  ];
  const vm = guest({
    id: 'vm-e',
    host: 'h1',
    memory: { ram: '16GiB', max: '32GiB', slots: 2 },
    devices: [
      { id: 'net0', kind: 'virtio-net', iommuPlatform: true },
      { id: 'nic0', kind: 'vfio', hostDevice: '0000:81:00.0' },
    ],
    hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }],
  });
  const fleet = {
    ...fleetOf(
      [...hosts, host({ id: 'h3', groups: [group(1, [nic('0000:81:00.0')]), group(2, [nic('0000:82:00.0')])] })],
      [vm],
    ),
    versions: { hosts: new Map([['h3', 7]]), guests: new Map([['vm-e', 12]]) },
  };

  it('passes with verdict ok and echoes the stream versions it read', () => {
    const plan = planMigration(fleet, 'vm-e', 'h3');
    expect(plan).toEqual({
      verdict: 'ok',
      conflicts: [],
      inputs: {
        guest: { id: 'vm-e', version: 12 },
        host: { id: 'h3', version: 7 },
        source: { id: 'h1', version: null },
        machineDefaults: { version: null },
        options: { postcopy: false },
      },
    });
  });

  it("while h2, with one network device for the guest's device and its reservation, cannot keep the reservation", () => {
    expect(codesOf(planMigration(fleet, 'vm-e', 'h2'))).toEqual(['NO_MATCHING_DEVICE_FOR_RESERVATION']);
  });
});

describe('plan errors', () => {
  const fleet = fleetOf([host({ id: 'h1' })], [guest({ id: 'vm', host: 'h1' })]);
  it.each([
    ['an unknown guest', () => planMigration(fleet, 'nope', 'h1'), 'GUEST_NOT_FOUND'],
    ['an unknown host', () => planMigration(fleet, 'vm', 'nope'), 'HOST_NOT_FOUND'],
    ['its own host', () => planMigration(fleet, 'vm', 'h1'), 'MIGRATION_TO_CURRENT_HOST'],
  ])('refuse %s with a typed domain error', (_name, run, code) => {
    expect(run).toThrow(DomainError);
    try {
      run();
    } catch (error) {
      expect((error as DomainError).code).toBe(code);
    }
  });
});

it('conflicts are JSON-safe: no bigint anywhere', () => {
  const amd = host({
    id: 'amd-1',
    cpuVendor: 'amd',
    memory: '2TiB',
    iommu: { model: 'amd-vi', interruptRemapping: false },
    groups: [
      group(20, [nic('0000:81:00.0')], [X86_MSI, AMD_HT, { start: '0x200000000', end: '0x2000fffff', type: 'direct' }]),
    ],
  });
  const vm = guest({
    id: 'vm',
    host: 'h1',
    memory: { ram: '1100GiB' },
    physBits: 46,
    hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }],
  });
  const plan = planMigration(fleetOf([host({ id: 'h1', memory: '2TiB' }), amd], [vm]), 'vm', 'amd-1');
  expect(plan.conflicts.length).toBeGreaterThan(3);
  expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
});
