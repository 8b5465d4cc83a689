import { describe, expect, it } from 'vitest';
import { GiB, MiB } from '../units.js';
import type { DeviceSpec, HostSpec } from './hotplug-model.js';
import { createGuest, hotplug } from './hotplug.js';

describe('sPAPR (POWER) VFIO backend', () => {
  const power = (kvm: 'hv' | 'pr', backends: HostSpec['vfioBackends'] = ['spapr-tce-v2', 'spapr-tce']): HostSpec => ({
    id: 'p9',
    arch: 'ppc64',
    iommuAddressWidthBits: 64,
    reservedRegions: [],
    kernelEnforcesIovaRanges: true,
    interruptRemapping: true,
    allowUnsafeInterrupts: false,
    vfioBackends: backends,
    kvm,
  });
  const guest = (ram: bigint) =>
    createGuest({ id: 'lpar', ramBlocks: [{ name: 'ppc_spapr.ram', gpa: 0n, size: ram }], pcieRootPorts: ['rp0'] });
  const device: DeviceSpec = {
    kind: 'vfio-pci',
    id: 'hostdev0',
    bus: 'rp0',
    hostAddress: '0001:01:00.0',
    group: { id: 3 },
  };

  it('falls back from v2 to v1 on a KVM-PR host, and says so', () => {
    const result = hotplug({ guest: guest(512n * MiB), host: power('pr'), device });
    expect(result.ok).toBe(true);
    expect(result.vfioBackend).toBe('spapr-tce');
    expect(result.events).toContainEqual(
      expect.objectContaining({ type: 'VfioBackendFallback', from: 'spapr-tce-v2', to: 'spapr-tce' }),
    );
    expect(result.guest.vfio!.dmaWindows).toEqual([{ start: 0n, end: GiB - 1n }]);
  });

  it('keeps v2 with a 64-bit window covering RAM on KVM-HV', () => {
    const result = hotplug({ guest: guest(4n * GiB), host: power('hv'), device });
    expect(result.vfioBackend).toBe('spapr-tce-v2');
    expect(result.events).toEqual([]);
    expect(result.guest.vfio!.dmaWindows[1]).toEqual({
      start: 0x800000000000000n,
      end: 0x800000000000000n + 4n * GiB - 1n,
    });
  });

  it('under v1, flags guest RAM that does not fit the default 1 GiB window for 1:1 DMA', () => {
    const result = hotplug({ guest: guest(4n * GiB), host: power('pr'), device });
    expect(result.events).toContainEqual({ type: 'SpaprDmaWindowLimited', windowBytes: GiB, ramBytes: 4n * GiB });
  });

  it('cannot fall back when v1 is not available', () => {
    const result = hotplug({ guest: guest(GiB), host: power('pr', ['spapr-tce-v2']), device });
    expect(result.code).toBe('VFIO_NO_IOMMU_BACKEND');
    expect(result.qemuError).toContain('Failed to set iommu for container: Invalid argument');
  });
});

describe('virtio and VIRTIO_F_ACCESS_PLATFORM', () => {
  const host: HostSpec = {
    id: 'h',
    arch: 'x86_64',
    iommuAddressWidthBits: 48,
    reservedRegions: [],
    kernelEnforcesIovaRanges: true,
    interruptRemapping: true,
    allowUnsafeInterrupts: false,
    vfioBackends: ['type1v2'],
  };
  const guest = (restrictedMemoryAccess = false) =>
    createGuest({
      id: 'vm',
      ramBlocks: [{ name: 'pc.ram', gpa: 0n, size: GiB }],
      pcieRootPorts: ['rp0'],
      restrictedMemoryAccess,
    });
  const net = (iommuPlatform: boolean, driverAcksAccessPlatform: boolean, transitional = false): DeviceSpec => ({
    kind: 'virtio',
    id: 'net0',
    bus: 'rp0',
    model: 'virtio-net-pci',
    iommuPlatform,
    transitional,
    driverAcksAccessPlatform,
  });

  it('refuses FEATURES_OK when the device offers ACCESS_PLATFORM and the driver does not ack: plugged but unusable', () => {
    const result = hotplug({ guest: guest(), host, device: net(true, false) });
    expect(result.ok).toBe(false);
    expect(result.code).toBe('VIRTIO_FEATURES_OK_REFUSED');
    expect(result.guestLog[0]).toMatch(/device refuses features/);
    expect(result.guest.devices).toEqual([
      { id: 'net0', kind: 'virtio', driver: 'virtio-net-pci', bus: 'rp0', usable: false },
    ]);
  });

  it('works when the driver acks the offered bit, or when it is not offered', () => {
    expect(hotplug({ guest: guest(), host, device: net(true, true) }).ok).toBe(true);
    expect(hotplug({ guest: guest(), host, device: net(false, false) }).ok).toBe(true);
  });

  it('rejects iommu_platform on a transitional device as a configuration error', () => {
    const result = hotplug({ guest: guest(), host, device: net(true, true, true) });
    expect(result.code).toBe('VIRTIO_IOMMU_PLATFORM_TRANSITIONAL');
    expect(result.qemuError).toMatch(/neither legacy nor transitional/);
    expect(result.guest.devices).toEqual([]);
  });

  it('a confidential guest refuses a device that does not offer the bit', () => {
    expect(hotplug({ guest: guest(true), host, device: net(false, false) }).code).toBe(
      'VIRTIO_ACCESS_PLATFORM_REQUIRED',
    );
  });
});
