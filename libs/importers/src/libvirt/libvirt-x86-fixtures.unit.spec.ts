import { parseSize } from '@ferry/domain';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CpuVendor, GuestDetails, GuestDraft } from '../common/fleet-shapes.js';
import type { ImportProblem } from '../common/problems.js';
import { importLibvirtDomain } from './import-libvirt-domain.js';

const LIBVIRT = fileURLToPath(new URL('../../../../test/fixtures/libvirt/', import.meta.url));

function load(
  file: string,
  hostCpuVendor?: CpuVendor,
): { guest: GuestDraft; problems: ImportProblem[]; details: GuestDetails } {
  const xml = readFileSync(`${LIBVIRT}${file}`, 'utf8');
  const { value, problems, details } = importLibvirtDomain(xml, { host: 'host-a', hostCpuVendor });
  if (!value) throw new Error(`${file} did not import: ${JSON.stringify(problems)}`);
  return { guest: value, problems, details };
}

/** Sizes as the fleet schema reads them, so assertions do not depend on the unit chosen. */
const bytes = (size: string | number | undefined) => (size === undefined ? undefined : parseSize(size));

const GiB = 1n << 30n;
const devicesOf = (guest: GuestDraft) => guest.devices ?? [];
const device = (guest: GuestDraft, id: string) => devicesOf(guest).find((d) => d.id === id);

describe('libvirt q35, plain', () => {
  const { guest, problems, details } = load('q35-plain.xml');

  it('reads id, machine, memory and the vCPU vendor of a named Intel model, and keeps the uuid in the details', () => {
    expect(details.uuid).toBe('3f1c2b7e-8d4a-4f0e-9b61-2c5d7a9e0f13');
    expect(guest).toMatchObject({
      id: 'web-01',
      host: 'host-a',
      machine: 'pc-q35-7.2',
      cpuVendor: 'intel',
      viommu: 'none',
      guestOs: { confidential: 'none', xen: false },
    });
    expect(bytes(guest.memory?.ram)).toBe(8n * GiB);
    expect(guest.memory?.max).toBeUndefined();
  });

  it('finds the virtio devices on root ports as modern-only, leaving iommuPlatform to the machine default', () => {
    expect(devicesOf(guest).map((d) => [d.id, d.kind, d.transitional, d.iommuPlatform])).toEqual([
      ['net0', 'virtio-net', false, undefined],
      ['vda', 'virtio-blk', false, undefined],
      ['serial0', 'virtio-serial', false, undefined],
      ['rng0', 'virtio-rng', false, undefined],
      ['balloon0', 'virtio-balloon', false, undefined],
    ]);
  });

  it('ignores what Ferry does not model, without complaint', () => {
    expect(problems).toEqual([]);
  });
});

describe('libvirt q35 with intel-iommu', () => {
  const { guest, details } = load('q35-intel-iommu.xml');

  it('reads the vIOMMU model and aw_bits, and keeps its switches in the details', () => {
    expect(guest.viommu).toBe('intel-iommu');
    expect(guest.viommuAddressWidthBits).toBe(48);
    expect(details.viommuOptions).toEqual({ intremap: true, cachingMode: true, eim: true, iotlb: true });
    expect(details.features).toEqual({ ioapicDriver: 'qemu' });
  });

  it('marks virtio devices with <driver iommu=on> and keeps libvirt aliases as ids', () => {
    expect(device(guest, 'net0')).toMatchObject({ kind: 'virtio-net', iommuPlatform: true, transitional: false });
    expect(device(guest, 'virtio-disk0')).toMatchObject({ kind: 'virtio-blk', iommuPlatform: true });
    expect(device(guest, 'balloon0')).toMatchObject({ iommuPlatform: true });
    expect(device(guest, 'rng0')).toMatchObject({ iommuPlatform: true });
  });

  it('reads the assigned host function and an explicit vendor', () => {
    expect(device(guest, 'hostdev0')).toEqual({ id: 'hostdev0', kind: 'vfio', hostDevice: '0000:3b:00.0' });
    expect(guest.cpuVendor).toBe('intel');
  });
});

describe('libvirt q35 with several host devices', () => {
  const { guest, details } = load('q35-hostdev.xml');

  it('reads every PCI hostdev and SR-IOV interface as a vfio device with its host address', () => {
    expect(
      devicesOf(guest)
        .filter((d) => d.kind === 'vfio')
        .map((d) => d.hostDevice),
    ).toEqual(['0000:81:00.0', '0000:81:00.1', '0002:c1:1f.7', '0000:3b:02.3']);
  });

  it('skips USB passthrough and normalises the name into an id while keeping the name', () => {
    expect(devicesOf(guest)).toHaveLength(5);
    expect(guest.id).toBe('ml-train-04');
    expect(details.name).toBe('ml_train_04');
    expect(bytes(guest.memory?.ram)).toBe(64n * GiB);
  });
});

describe('libvirt q35 with maxMemory slots, DIMMs and virtio-mem', () => {
  const { guest, problems, details } = load('q35-hotplug-dimm.xml');

  it('takes boot RAM from the NUMA cells, not <memory>, which includes the memory devices', () => {
    expect(bytes(guest.memory?.ram)).toBe(16n * GiB);
    expect(bytes(details.currentMemory)).toBe(28n * GiB);
    expect(problems).toEqual([]);
  });

  it('reads maxMemory and slots, which size the device-memory region', () => {
    expect(bytes(guest.memory?.max)).toBe(256n * GiB);
    expect(guest.memory?.slots).toBe(16);
  });

  it('keeps each memory device with its size and guest-physical base in the details', () => {
    expect(details.memoryDevices?.map((d) => [d.model, bytes(d.size), d.base && BigInt(d.base), d.slot])).toEqual([
      ['dimm', 2n * GiB, 0x480000000n, 0],
      ['dimm', 2n * GiB, 0x500000000n, 1],
      ['virtio-mem', 8n * GiB, 0x580000000n, undefined],
    ]);
  });
});

describe('libvirt q35 with transitional virtio models', () => {
  const { guest } = load('q35-virtio-transitional.xml');

  it('marks virtio-transitional models transitional and virtio-non-transitional not', () => {
    expect(devicesOf(guest).map((d) => [d.id, d.kind, d.transitional])).toEqual([
      ['net0', 'virtio-net', true],
      ['net1', 'virtio-net', false],
      ['vda', 'virtio-blk', true],
      ['scsi0', 'virtio-scsi', true],
      ['rng0', 'virtio-rng', true],
      ['balloon0', 'virtio-balloon', true],
      ['fs0', 'virtio-fs', true], // virtio-9p: the fleet format's kind for any virtio filesystem
    ]);
  });
});

describe('libvirt q35 with per-device iommu settings and no vIOMMU', () => {
  const { guest, problems } = load('q35-iommu-platform.xml');

  it('reads iommu on and off per device and leaves non-virtio NICs out', () => {
    expect(guest.viommu).toBe('none');
    expect(devicesOf(guest).map((d) => [d.id, d.kind, d.iommuPlatform])).toEqual([
      ['net0', 'virtio-net', true], // vDPA
      ['vda', 'virtio-blk', true],
      ['vdb', 'virtio-blk', false],
      ['serial0', 'virtio-serial', true],
      ['balloon0', 'virtio-balloon', true],
    ]);
  });

  it('infers transitional from placement: root bus keeps legacy, root and downstream ports do not', () => {
    expect(device(guest, 'vdb')?.transitional).toBe(true); // pcie-root, bus 0
    expect(device(guest, 'balloon0')?.transitional).toBe(true); // pcie-root: QEMU will refuse iommu=on here
    expect(device(guest, 'vda')?.transitional).toBe(false); // pcie-root-port
    expect(device(guest, 'net0')?.transitional).toBe(false); // pcie-switch-downstream-port
  });

  it('notes that a vDPA interface is recorded as virtio-net without its host function', () => {
    expect(problems).toContainEqual(expect.objectContaining({ severity: 'note', path: 'domain/devices/interface[1]' }));
  });
});

describe('libvirt q35 with AMD SEV', () => {
  const { guest } = load('q35-sev.xml');

  it('records a confidential sev guest with an AMD vCPU and iommu on for every virtio device', () => {
    expect(guest.guestOs).toEqual({ xen: false, confidential: 'sev' });
    expect(guest.cpuVendor).toBe('amd');
    expect(devicesOf(guest).every((d) => d.iommuPlatform === true)).toBe(true);
    expect(devicesOf(guest)).toHaveLength(3);
  });
});

describe('libvirt q35 with Intel TDX', () => {
  it('records a confidential tdx guest whose vCPU vendor is the host vendor passed in', () => {
    const { guest, details } = load('q35-tdx.xml', 'intel');
    expect(guest.guestOs?.confidential).toBe('tdx');
    expect(guest.cpuVendor).toBe('intel');
    expect(details.cpuVendorFollowsHost).toBe(true);
    expect(bytes(guest.memory?.ram)).toBe(32n * GiB);
  });
});

describe('libvirt i440fx', () => {
  const { guest } = load('i440fx-legacy.xml');

  it('reads the machine and makes plain virtio devices on the conventional root bus transitional', () => {
    expect(guest.machine).toBe('pc-i440fx-6.2');
    expect(guest.cpuVendor).toBe('intel');
    expect(devicesOf(guest).map((d) => [d.kind, d.transitional])).toEqual([
      ['virtio-net', true],
      ['virtio-blk', true],
      ['virtio-balloon', true],
    ]);
  });
});

describe('libvirt AMD EPYC guest with 1.5 TiB', () => {
  const { guest } = load('amd-epyc-bigmem.xml');

  it('infers the AMD vendor from the EPYC model and reads GiB units and phys-bits', () => {
    expect(guest).toMatchObject({ cpuVendor: 'amd', machine: 'pc-q35-7.0', physBits: 48 });
    expect(bytes(guest.memory?.ram)).toBe(1536n * GiB);
  });
});

describe('libvirt host-passthrough guest', () => {
  const { guest, problems, details } = load('host-passthrough.xml');

  it('leaves the vCPU vendor out and warns, instead of guessing, when the host vendor is not given', () => {
    expect(guest.cpuVendor).toBeUndefined();
    expect(details).toMatchObject({ cpuVendorFollowsHost: true, cpuMode: 'host-passthrough' });
    expect(guest.physBits).toBeUndefined();
    expect(problems).toContainEqual(
      expect.objectContaining({
        severity: 'warning',
        path: 'domain/cpu',
        message: expect.stringContaining('hostCpuVendor'),
      }),
    );
  });

  it("warns that phys-bits is the host's rather than letting the fleet default stand silently", () => {
    expect(problems).toContainEqual(expect.objectContaining({ severity: 'warning', path: 'domain/cpu/maxphysaddr' }));
  });

  it('finds virtiofs, 9p, vsock, virtio-gpu and virtio-input, and treats modern-only devices as non-transitional', () => {
    expect(devicesOf(guest).map((d) => [d.kind, d.transitional])).toEqual([
      ['virtio-blk', false],
      ['virtio-balloon', false],
      ['virtio-gpu', false],
      ['virtio-input', false],
      ['virtio-input', false],
      ['virtio-fs', false], // virtiofs
      ['virtio-fs', false], // 9p, unplaced on q35: libvirt puts it on a root port
      ['virtio-vsock', false],
    ]);
  });
});

describe('libvirt guest with mixed size units', () => {
  const { guest, details } = load('units-mixed.xml', 'amd');

  it('scales G, bytes, MB and MiB as libvirt does', () => {
    expect(bytes(guest.memory?.ram)).toBe(3n * GiB); // 4G <memory> minus the 1024MiB DIMM
    expect(bytes(details.currentMemory)).toBe(4n * GiB); // 4294967296 bytes
    expect(bytes(guest.memory?.max)).toBe(16_000_000_000n); // 16000 MB is decimal
    expect(guest.memory?.slots).toBe(8);
    expect(bytes(details.memoryDevices?.[0].size)).toBe(GiB);
  });

  it('makes an id from a free-form name and gives qemu64 under KVM the host vendor', () => {
    expect(guest.id).toBe('batch-worker-1');
    expect(details.name).toBe('Batch Worker #1');
    expect(guest.cpuVendor).toBe('amd');
  });
});

describe('libvirt minimal domain', () => {
  const { guest, problems } = load('minimal.xml');

  it('imports what there is and warns that the machine type is missing', () => {
    expect(guest).toMatchObject({ id: 'tiny', viommu: 'none', devices: [] });
    expect(bytes(guest.memory?.ram)).toBe(512n << 20n); // unitless <memory> is KiB
    expect(guest.machine).toBeUndefined();
    expect(problems).toContainEqual(expect.objectContaining({ severity: 'warning', path: 'domain/os/type' }));
  });
});
