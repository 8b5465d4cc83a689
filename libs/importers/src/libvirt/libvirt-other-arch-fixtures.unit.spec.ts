import { parseSize } from '@ferry/domain';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { GuestDetails, GuestDraft } from '../common/fleet-shapes.js';
import type { ImportProblem } from '../common/problems.js';
import { importLibvirtDomain } from './import-libvirt-domain.js';

const LIBVIRT = fileURLToPath(new URL('../../../../test/fixtures/libvirt/', import.meta.url));

function load(file: string): { guest: GuestDraft; details: GuestDetails; problems: ImportProblem[] } {
  const { value, problems, details } = importLibvirtDomain(readFileSync(`${LIBVIRT}${file}`, 'utf8'));
  if (!value) throw new Error(`${file} did not import: ${JSON.stringify(problems)}`);
  return { guest: value, details, problems };
}

const devicesOf = (guest: GuestDraft) => guest.devices ?? [];

const GiB = 1n << 30n;
const bytes = (size: string | number | undefined) => (size === undefined ? undefined : parseSize(size));

describe('libvirt aarch64 virt with an emulated SMMUv3', () => {
  const { guest, details } = load('aarch64-virt-smmuv3.xml');

  it('reads machine, smmuv3, the GIC version and the Arm vendor of a host-passthrough vCPU', () => {
    expect(guest).toMatchObject({ machine: 'virt-8.2', viommu: 'smmuv3', cpuVendor: 'arm' });
    expect(details).toMatchObject({ arch: 'aarch64', features: { gicVersion: '3' } });
    expect(guest.viommuAddressWidthBits).toBeUndefined();
  });

  it('reads per-device iommu settings', () => {
    expect(devicesOf(guest).map((d) => [d.kind, d.iommuPlatform, d.transitional])).toEqual([
      ['virtio-net', true, false],
      ['virtio-blk', true, false],
      ['virtio-serial', undefined, false],
      ['virtio-rng', undefined, false],
    ]);
  });
});

describe('libvirt aarch64 virt with virtio-iommu and an assigned device', () => {
  const { guest } = load('aarch64-virt-virtio-iommu.xml');

  it('reads virtio-iommu with its aw_bits and the host function in a non-zero PCI domain', () => {
    expect(guest.viommu).toBe('virtio-iommu');
    expect(guest.viommuAddressWidthBits).toBe(48);
    expect(devicesOf(guest).find((d) => d.kind === 'vfio')?.hostDevice).toBe('000d:01:00.1');
    expect(bytes(guest.memory?.ram)).toBe(16n * GiB);
  });
});

describe('libvirt ppc64 pseries with two PHBs and an assigned device', () => {
  const { guest, details } = load('ppc64-pseries-hostdev.xml');

  it('records the always-present sPAPR vIOMMU and the IBM vendor', () => {
    expect(guest).toMatchObject({ machine: 'pseries-8.2', viommu: 'spapr', cpuVendor: 'ibm' });
  });

  it('reads hotplug memory limits, a DIMM counted in <memory>, and the hostdev', () => {
    expect(bytes(guest.memory?.ram)).toBe(16n * GiB); // 17 GiB <memory> minus the 1 GiB DIMM
    expect(details.memoryDevices).toEqual([{ model: 'dimm', size: '1GiB', slot: 0 }]);
    expect(bytes(guest.memory?.max)).toBe(64n * GiB);
    expect(guest.memory?.slots).toBe(32);
    expect(devicesOf(guest).find((d) => d.kind === 'vfio')?.hostDevice).toBe('0030:01:00.0');
  });

  it('makes plain virtio devices on the spapr-pci-host-bridge (conventional PCI) transitional', () => {
    expect(
      devicesOf(guest)
        .filter((d) => d.kind !== 'vfio')
        .map((d) => [d.kind, d.transitional]),
    ).toEqual([
      ['virtio-net', true],
      ['virtio-scsi', true],
      ['virtio-balloon', true],
    ]);
  });
});

describe('libvirt s390x ccw', () => {
  const { guest, details, problems } = load('s390x-ccw.xml');

  it('reads ccw virtio devices, including one without an address, as ccw and not transitional', () => {
    expect(guest).toMatchObject({ cpuVendor: 'ibm', viommu: 'none' });
    expect(
      devicesOf(guest)
        .filter((d) => d.kind !== 'vfio')
        .map((d) => [d.id, d.kind, d.transitional]),
    ).toEqual([
      ['net0', 'virtio-net', false],
      ['vda', 'virtio-blk', false],
      ['rng0', 'virtio-rng', false],
      ['balloon0', 'virtio-balloon', false],
    ]);
    expect(details.transports).toEqual({ net0: 'ccw', vda: 'ccw', rng0: 'ccw', balloon0: 'ccw' });
  });

  it('reads a zPCI hostdev by its host address', () => {
    expect(devicesOf(guest).find((d) => d.kind === 'vfio')?.hostDevice).toBe('0001:00:00.0');
  });

  it('keeps a downstream machine type as is and notes the upstream release whose layout it follows', () => {
    expect(guest.machine).toBe('s390-ccw-virtio-rhel9.4.0');
    expect(problems).toContainEqual({
      severity: 'note',
      path: 'domain/os/type',
      message: 'machine "s390-ccw-virtio-rhel9.4.0" is RHEL\'s; its memory layout follows upstream s390-ccw-virtio-8.2',
    });
  });
});

describe('libvirt s390x protected virtualization', () => {
  const { guest } = load('s390x-protected.xml');

  it('records a confidential s390-pv guest with iommu on for its devices', () => {
    expect(guest.guestOs?.confidential).toBe('s390-pv');
    expect(devicesOf(guest).map((d) => d.iommuPlatform)).toEqual([true, true]);
  });
});
