import { fileURLToPath } from 'node:url';
import { hostSchema } from '@ferry/domain';
import { describe, expect, it } from 'vitest';
import type { HostDraft, IommuGroupInput } from '../common/fleet-shapes.js';
import { importHostFacts } from './import-host-facts.js';

const HOSTS = fileURLToPath(new URL('../../../../test/fixtures/hosts/', import.meta.url));
const load = (name: string, id?: string) => importHostFacts({ root: `${HOSTS}${name}`, id });

/** Regions as [start, end, type] with bigint bounds, so "0x08000000" and "0x8000000" compare equal. */
const regions = (group: IommuGroupInput | undefined) =>
  group?.reservedRegions?.map((r) => [BigInt(r.start), BigInt(r.end), r.type]);
const groupsOf = (host: HostDraft) => host.groups ?? [];
const group = (host: HostDraft, id: number) => groupsOf(host).find((g) => g.id === id);
const device = (host: HostDraft, address: string) =>
  groupsOf(host)
    .flatMap((g) => g.devices ?? [])
    .find((d) => d.address === address);
const windowsOf = (host: HostDraft) => (host.bridgeWindows ?? []).map((w) => [BigInt(w.start), BigInt(w.end)]);

describe('importHostFacts on an Intel VT-d host (symlinked sysfs dump)', () => {
  const { value: host, problems, details } = load('intel-vtd-xeon');

  it('reads identity, CPU, kernel release and memory', () => {
    expect(host).toMatchObject({
      id: 'compute-17',
      arch: 'x86_64',
      cpuVendor: 'intel',
      kernel: '5.15.0-119-generic',
      memory: '394874136KiB',
    });
  });

  it('reads the IOMMU model, the MGAW address width from the cap register and interrupt remapping', () => {
    expect(host.iommu).toEqual({
      model: 'intel-vtd',
      addressWidthBits: 48,
      interruptRemapping: true,
      allowUnsafeInterrupts: false,
      vfioBackends: ['type1', 'type1v2'],
      ignoreIommuFor: [],
    });
  });

  it('keeps the RMRR of the USB controller as direct-relaxable and of the LOM NIC as direct', () => {
    expect(regions(group(host, 17))).toEqual([
      [0x6f1e5000n, 0x6f1f3fffn, 'direct-relaxable'],
      [0xfee00000n, 0xfeefffffn, 'msi'],
    ]);
    expect(regions(group(host, 30))).toEqual([
      [0x6f1f4000n, 0x6f1f6fffn, 'direct'],
      [0xfee00000n, 0xfeefffffn, 'msi'],
    ]);
  });

  it('lists every group in numeric order with its devices and bound drivers', () => {
    expect(groupsOf(host).map((g) => g.id)).toEqual([0, 17, 24, 30, 45, 46, 60, 72, 80]);
    expect(group(host, 24)?.devices?.map((d) => [d.address, d.driver])).toEqual([
      ['0000:00:1f.0', 'none'],
      ['0000:00:1f.4', 'i801_smbus'],
      ['0000:00:1f.5', 'none'],
    ]);
    expect(group(host, 30)?.devices?.map((d) => d.address)).toEqual(['0000:02:00.0', '0000:02:00.1']);
  });

  it('classifies devices and marks only migration-driver-bound functions migratable', () => {
    expect(device(host, '0000:02:00.0')).toEqual({
      address: '0000:02:00.0',
      vendor: '0x14e4',
      device: '0x165f',
      class: 'network',
      driver: 'tg3',
      migratable: false,
      virtio: false,
      accessPlatform: false,
    });
    expect(device(host, '0000:3b:00.0')).toMatchObject({ driver: 'vfio-pci', migratable: false });
    expect(device(host, '0000:3b:00.1')).toMatchObject({ driver: 'mlx5_vfio_pci', migratable: true });
    expect(device(host, '0000:5e:00.0')?.class).toBe('storage');
    expect(device(host, '0000:af:00.0')?.class).toBe('gpu');
    expect(device(host, '0000:00:00.0')).toMatchObject({ class: 'other', driver: 'none' });
  });

  it('keeps each raw PCI class code in the details, which the fleet format has no field for', () => {
    expect(details.classCodes['0000:00:00.0']).toBe('0x060000');
    expect(details.classCodes['0000:00:14.0']).toBe('0x0c0330');
    expect(Object.keys(details.classCodes)).toHaveLength(12);
  });

  it('takes host-bridge windows from the top level of /proc/iomem only', () => {
    const windows = windowsOf(host);
    expect(windows).toContainEqual([0x90000000n, 0x9d7fffffn]);
    expect(windows).toContainEqual([0x39c00000000n, 0x39fffffffffn]);
    expect(windows).not.toContainEqual([0x90000000n, 0x900fffffn]); // nested bridge to bus 02
    expect(windows).toHaveLength(17);
  });

  it('has nothing to report', () => {
    expect(problems).toEqual([]);
  });
});

describe('importHostFacts on an AMD-Vi host (plain-file dump)', () => {
  const { value: host, problems } = load('amd-vi-epyc');

  it('reads CPU and IOMMU facts and says the address width is a default', () => {
    expect(host).toMatchObject({ id: 'epyc-b04', arch: 'x86_64', cpuVendor: 'amd', kernel: '6.8.0-45-generic' });
    expect(host.iommu).toMatchObject({ model: 'amd-vi', addressWidthBits: 48, interruptRemapping: true });
    expect(problems).toContainEqual(
      expect.objectContaining({
        severity: 'warning',
        file: '/sys/class/iommu',
        message: expect.stringContaining('assuming 48 bits'),
      }),
    );
  });

  it('keeps the HyperTransport hole as reserved and the MSI range as msi in every group', () => {
    for (const g of groupsOf(host)) {
      expect(regions(g)).toEqual([
        [0xfee00000n, 0xfeefffffn, 'msi'],
        [0xfd00000000n, 0xffffffffffn, 'reserved'],
      ]);
    }
    expect(groupsOf(host)).toHaveLength(7);
  });

  it('reads drivers from plain files and group members from plain entries', () => {
    expect(group(host, 12)?.devices?.map((d) => [d.address, d.driver, d.class])).toEqual([
      ['0000:c1:00.0', 'i40e', 'network'],
      ['0000:c1:00.1', 'i40e', 'network'],
    ]);
    expect(device(host, '0000:01:00.0')).toMatchObject({ class: 'accelerator', driver: 'habanalabs' });
  });

  it('marks a physical virtio device and reads VIRTIO_F_ACCESS_PLATFORM from its feature bits', () => {
    expect(device(host, '0000:21:00.0')).toMatchObject({ vendor: '0x1af4', virtio: true, accessPlatform: true });
    // VERSION_1 (bit 32) without ACCESS_PLATFORM (bit 33): a device that bypasses the IOMMU.
    expect(device(host, '0000:21:00.1')).toMatchObject({ class: 'storage', virtio: true, accessPlatform: false });
    expect(device(host, '0000:41:00.0')).toMatchObject({ virtio: false, accessPlatform: false });
  });

  it('reads the 64-bit root-bus windows above the HyperTransport hole', () => {
    const windows = windowsOf(host);
    expect(windows).toContainEqual([0x10000000000n, 0x13fffffffffn]);
    expect(windows).toContainEqual([0xb0000000n, 0xc5ffffffn]);
  });
});

describe('importHostFacts on an arm64 SMMUv3 host', () => {
  const { value: host, details } = load('arm64-smmuv3-altra');

  it('reads arm64 CPU, the SMMUv3 model and ITS MSI isolation', () => {
    expect(host).toMatchObject({ id: 'altra-a12', arch: 'aarch64', cpuVendor: 'arm', kernel: '6.1.0-18-arm64' });
    expect(host.iommu).toMatchObject({
      model: 'arm-smmuv3',
      interruptRemapping: true,
      vfioBackends: ['type1', 'type1v2'],
    });
  });

  it('reports the software MSI window 0x08000000-0x080fffff in every group', () => {
    for (const g of groupsOf(host)) expect(regions(g)).toEqual([[0x8000000n, 0x80fffffn, 'msi']]);
    expect(groupsOf(host).map((g) => g.id)).toEqual([1, 3, 4, 9, 12]);
  });

  it('keeps multi-domain PCI addresses and bridge members of a group, with the bridge class in the details', () => {
    expect(group(host, 3)?.devices?.map((d) => [d.address, d.driver])).toEqual([
      ['0000:00:01.0', 'pcieport'],
      ['0000:01:00.0', 'mlx5_core'],
    ]);
    expect(details.classCodes['0000:00:01.0']).toBe('0x060400');
    expect(device(host, '0004:02:00.0')).toMatchObject({ class: 'gpu', driver: 'ast' });
  });

  it('reads ACPI root-bus windows of every PCI segment', () => {
    const windows = windowsOf(host);
    expect(windows).toContainEqual([0x30000000n, 0x37ffffffn]); // PCI Bus 000d:00
    expect(windows).toContainEqual([0x300000000000n, 0x33ffdfffffffn]);
    expect(windows).toHaveLength(14);
  });
});

describe('importHostFacts on a POWER9 powernv host with KVM-HV', () => {
  const { value: host, problems, details } = load('power9-powernv');

  it('reads ppc64le/ibm, spapr-tce with both advertised sPAPR backends, and kvm hv', () => {
    expect(host).toMatchObject({ arch: 'ppc64le', cpuVendor: 'ibm', kernel: '6.8.0-31-generic' });
    expect(host.iommu).toMatchObject({ model: 'spapr-tce', vfioBackends: ['spapr-tce-v1', 'spapr-tce-v2'], kvm: 'hv' });
    expect(host.iommu.addressWidthBits).toBeUndefined();
  });

  it('records DDW-capable window defaults and says they are defaults', () => {
    expect(host.spapr).toEqual({
      dma32Window: { start: '0x0', size: '2GiB' },
      dma64WindowAddr: '0x800000000000000',
      pageSizes: ['4KiB', '64KiB', '16MiB'],
      ddw: true,
    });
    expect(details.powerPlatform).toBe('powernv');
    expect(problems).toContainEqual(
      expect.objectContaining({ severity: 'note', message: expect.stringContaining('powernv defaults') }),
    );
  });

  it('reads empty reserved_regions files as no regions, and PHB windows named after device-tree nodes', () => {
    expect(groupsOf(host).map((g) => [g.id, g.reservedRegions?.length])).toEqual([
      [0, 0],
      [1, 0],
      [4, 0],
      [6, 0],
    ]);
    expect(windowsOf(host)).toContainEqual([0x600c000000000n, 0x600c07ffeffffn]); // /pciex@600c3c0000000
  });
});

describe('importHostFacts on a POWER pseries partition with KVM-PR', () => {
  const { value: host, problems, details } = load('power9-pseries-pr');

  it('reads kvm pr, no DDW and the kernel from /proc/version', () => {
    expect(host.iommu).toMatchObject({ model: 'spapr-tce', kvm: 'pr', vfioBackends: ['spapr-tce-v1', 'spapr-tce-v2'] });
    expect(host.spapr).toMatchObject({ ddw: false });
    expect(host.spapr?.dma64WindowAddr).toBeUndefined();
    expect(details.powerPlatform).toBe('pseries');
    expect(host.kernel).toBe('5.14.0-427.13.1.el9_4.ppc64le');
  });

  it('notes that spapr-tce was assumed because sysfs lists no IOMMU units', () => {
    expect(problems).toContainEqual(
      expect.objectContaining({
        severity: 'note',
        file: '/sys/class/iommu',
        message: expect.stringContaining('assumed'),
      }),
    );
  });
});

describe('importHostFacts on a dump with broken input', () => {
  const { value: host, problems } = load('x86-quirks', 'desk-07');
  const regionsFile = '/sys/kernel/iommu_groups/1/reserved_regions';

  it('reports every malformed reserved_regions line with its file and line, and skips it', () => {
    const reported = problems.filter((p) => p.file === regionsFile && p.severity === 'error').map((p) => p.line);
    expect(reported).toEqual([3, 4, 5, 6]);
    expect(regions(group(host, 1))).toEqual([
      [0xa0000n, 0xbffffn, 'reserved'],
      [0xfee00000n, 0xfeefffffn, 'msi'],
      [0x7b800000n, 0x7fffffffn, 'direct'],
    ]);
  });

  it('records an unknown region type as reserved with a note naming the type', () => {
    expect(problems).toContainEqual({
      severity: 'note',
      file: regionsFile,
      line: 1,
      message: expect.stringContaining('vendor-magic'),
    });
  });

  it('reads an empty reserved_regions file as a group with no regions', () => {
    expect(group(host, 2)).toMatchObject({
      reservedRegions: [],
      devices: [{ address: '0000:00:17.0', driver: 'ahci' }],
    });
  });

  it('records a device without sysfs attributes with an unknown driver, so its group is not viable', () => {
    expect(device(host, '0000:03:00.0')).toMatchObject({ driver: 'unknown' });
    expect(problems).toContainEqual(
      expect.objectContaining({ severity: 'error', file: '/sys/bus/pci/devices/0000:03:00.0' }),
    );
  });

  it('skips non-PCI group members and non-numeric group directories with a report', () => {
    expect(group(host, 1)?.devices?.map((d) => d.address)).toEqual(['0000:00:02.0']);
    expect(problems).toContainEqual(
      expect.objectContaining({ severity: 'note', message: expect.stringContaining('PNP0C50:00') }),
    );
    expect(problems).toContainEqual(
      expect.objectContaining({ severity: 'error', file: '/sys/kernel/iommu_groups/lost+found' }),
    );
  });

  it('reports malformed /proc/iomem lines by line and keeps the good windows', () => {
    expect(problems.filter((p) => p.file === '/proc/iomem').map((p) => p.line)).toEqual([3, 6]);
    expect(windowsOf(host).map(([start]) => start)).toEqual([0xa0000n, 0xc0000000n, 0x4000000000n]);
  });

  it('takes the narrowest client MGAW, and interrupt remapping off from intremap=off', () => {
    expect(host.id).toBe('desk-07');
    expect(host.iommu).toMatchObject({ model: 'intel-vtd', addressWidthBits: 39, interruptRemapping: false });
    expect(host.kernel).toBe('6.6.30-1-lts');
  });

  it('leaves out the memory it could not read, so applying the host fails on that field', () => {
    expect(host.memory).toBeUndefined();
    const parsed = hostSchema.safeParse(host);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['memory']);
  });
});

describe('importHostFacts on an empty or missing root', () => {
  it('returns a host that says what it could not find, without throwing', () => {
    const { value: host, problems } = importHostFacts({ root: `${HOSTS}does-not-exist`, id: 'ghost' });

    expect(host).toMatchObject({
      id: 'ghost',
      groups: [],
      bridgeWindows: [],
      iommu: { model: 'none', vfioBackends: [] },
    });
    expect(problems.map((p) => p.file)).toEqual(
      expect.arrayContaining(['/proc/cpuinfo', '/proc/iomem', '/sys/kernel/iommu_groups']),
    );
  });
});

describe('importHostFacts output', () => {
  const complete = ['intel-vtd-xeon', 'amd-vi-epyc', 'arm64-smmuv3-altra', 'power9-powernv', 'power9-pseries-pr'];

  it.each(complete)('from %s is accepted by the fleet schema as is', (name) => {
    const parsed = hostSchema.safeParse(load(name).value);
    expect(parsed.error?.issues ?? []).toEqual([]);
  });

  it.each([...complete, 'x86-quirks'])(
    'from %s survives a JSON round trip unchanged (no bigint, no undefined holes)',
    (name) => {
      const { value } = load(name);
      expect(JSON.parse(JSON.stringify(value))).toStrictEqual(value);
    },
  );
});
