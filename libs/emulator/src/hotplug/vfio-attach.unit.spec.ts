// VFIO hot-plug on a guest without vIOMMU: all RAM is mapped at IOVA = GPA, and the host's
// reserved regions decide whether that works, fails cleanly, or corrupts silently.
import { describe, expect, it } from 'vitest';
import { GiB } from '../units.js';
import type { DeviceSpec, GuestState, HostSpec } from './hotplug-model.js';
import { createGuest, hotplug } from './hotplug.js';
import type { ReservedRegion } from './iova-ranges.js';

const PAGE = 4096n;
const LOW_RAM_END = 2n * GiB - 1n; // pc.ram covers [0, 2 GiB − 1]

const host = (overrides: Partial<HostSpec> = {}): HostSpec => ({
  id: 'host-1',
  arch: 'x86_64',
  iommuAddressWidthBits: 48,
  reservedRegions: [{ start: 0xfee00000n, end: 0xfeefffffn, type: 'msi' }],
  kernelEnforcesIovaRanges: true,
  interruptRemapping: true,
  allowUnsafeInterrupts: false,
  vfioBackends: ['type1v2', 'type1'],
  ...overrides,
});

const guest = (): GuestState =>
  createGuest({
    id: 'vm-1',
    ramBlocks: [
      { name: 'pc.ram', gpa: 0n, size: 2n * GiB },
      { name: 'pc.ram-above-4g', gpa: 4n * GiB, size: 2n * GiB },
    ],
    pcieRootPorts: ['rp0', 'rp1'],
  });

const nic = (regions: ReservedRegion[] = [], bus = 'rp0', id = 'hostdev0'): DeviceSpec => ({
  kind: 'vfio-pci',
  id,
  bus,
  hostAddress: '0000:81:00.0',
  group: { id: 12, reservedRegions: regions },
});

const lastRamPage: ReservedRegion = { start: LOW_RAM_END - PAGE + 1n, end: LOW_RAM_END, type: 'reserved' };
/** The same region moved up one page: it starts right after the last byte of RAM. */
const onePageAway: ReservedRegion = { start: LOW_RAM_END + 1n, end: LOW_RAM_END + PAGE, type: 'reserved' };

describe('VFIO attach against reserved regions', () => {
  it("fails device_add cleanly when one page of RAM overlaps a reserved region, with QEMU's message", () => {
    const before = guest();
    const result = hotplug({ guest: before, host: host(), device: nic([lastRamPage]) });
    expect(result.ok).toBe(false);
    expect(result.code).toBe('VFIO_DMA_MAP_FAILED');
    expect(result.qemuError).toMatch(
      /^vfio 0000:81:00\.0: failed to setup container for group 12: memory listener initialization failed: Region pc\.ram: vfio_container_dma_map\(0x[0-9a-f]+, 0x0, 0x80000000, 0x[0-9a-f]+\) = -22 \(Invalid argument\)$/,
    );
    expect(result.guest).toBe(before);
    expect(result.guest.pcieRootPorts[0]!.deviceId).toBeNull();
  });

  it('succeeds when the same region is one page higher (inclusive ends: adjacent is not overlapping)', () => {
    const result = hotplug({ guest: guest(), host: host(), device: nic([onePageAway]) });
    expect(result.ok).toBe(true);
    expect(result.events).toEqual([]);
    expect(result.vfioBackend).toBe('type1v2');
    expect(result.guest.vfio!.mappings.map((m) => m.name)).toEqual(['pc.ram', 'pc.ram-above-4g']);
    expect(result.guest.pcieRootPorts[0]!.deviceId).toBe('hostdev0');
  });

  it('succeeds silently on a kernel without IOVA-range enforcement, recording the corrupting overlap', () => {
    const result = hotplug({
      guest: guest(),
      host: host({ kernelEnforcesIovaRanges: false }),
      device: nic([lastRamPage]),
    });
    expect(result.ok).toBe(true);
    expect(result.events).toEqual([
      {
        type: 'SilentDmaCorruptionRisk',
        deviceId: 'hostdev0',
        overlaps: [
          {
            ramBlock: 'pc.ram',
            ram: { start: 0n, end: LOW_RAM_END },
            region: lastRamPage,
            overlap: { start: lastRamPage.start, end: LOW_RAM_END },
          },
        ],
      },
    ]);
  });

  it('ignores direct-relaxable regions, as VFIO does', () => {
    const relaxable: ReservedRegion = { start: 0n, end: 0xffffffn, type: 'direct-relaxable' };
    expect(hotplug({ guest: guest(), host: host(), device: nic([relaxable]) }).ok).toBe(true);
  });

  it('refuses a group with a direct (1:1) region, whatever the overlap', () => {
    const rmrrOutsideRam: ReservedRegion = { start: 0xfd000000n, end: 0xfd0fffffn, type: 'direct' };
    const result = hotplug({ guest: guest(), host: host(), device: nic([rmrrOutsideRam]) });
    expect(result.code).toBe('VFIO_DIRECT_REGION');
    expect(result.qemuError).toBe(
      'vfio 0000:81:00.0: failed to setup container for group 12: Failed to set group container: Invalid argument',
    );
    expect(result.kernelLog[0]).toContain(
      'Firmware has requested this device have a 1:1 IOMMU mapping, rejecting configuring the device without a 1:1 mapping. Contact your platform vendor.',
    );
  });

  it('refuses without interrupt remapping (-EPERM) unless unsafe interrupts are allowed', () => {
    const refused = hotplug({ guest: guest(), host: host({ interruptRemapping: false }), device: nic() });
    expect(refused.code).toBe('VFIO_NO_INTERRUPT_REMAPPING');
    expect(refused.qemuError).toMatch(/Operation not permitted$/);
    expect(refused.kernelLog[0]).toContain(
      'No interrupt remapping support.  Use the module param "allow_unsafe_interrupts"',
    );
    expect(
      hotplug({ guest: guest(), host: host({ interruptRemapping: false, allowUnsafeInterrupts: true }), device: nic() })
        .ok,
    ).toBe(true);
  });

  it('refuses RAM above the IOMMU aperture (a 39-bit host cannot map GPAs ≥ 512 GiB)', () => {
    const big = createGuest({
      id: 'vm-2',
      ramBlocks: [{ name: 'pc.ram', gpa: 512n * GiB, size: GiB }],
      pcieRootPorts: ['rp0'],
    });
    const result = hotplug({ guest: big, host: host({ iommuAddressWidthBits: 39 }), device: nic() });
    expect(result.code).toBe('VFIO_DMA_MAP_FAILED');
    expect(result.qemuError).toContain('vfio_container_dma_map(');
    expect(result.qemuError).toContain(', 0x8000000000, 0x40000000, ');
  });

  it('takes one device per pcie-root-port', () => {
    const first = hotplug({ guest: guest(), host: host(), device: nic() });
    const second = hotplug({ guest: first.guest, host: host(), device: nic([], 'rp0', 'hostdev1') });
    expect(second.code).toBe('BUS_OCCUPIED');
    expect(second.qemuError).toBe('PCI: slot 0 function 0 not available for vfio-pci, in use by vfio-pci,id=hostdev0');
    expect(hotplug({ guest: first.guest, host: host(), device: nic([], 'rp1', 'hostdev1') }).ok).toBe(true);
    expect(hotplug({ guest: first.guest, host: host(), device: nic([], 'rp9', 'hostdev1') }).code).toBe(
      'BUS_NOT_FOUND',
    );
  });
});

describe('RAM hot-plug and VFIO', () => {
  const forbidden: ReservedRegion = { start: 0xfd_0000_0000n, end: 0xff_ffff_ffffn, type: 'reserved' }; // AMD HT hole
  const amdHost = host({ reservedRegions: [...host().reservedRegions, forbidden] });
  const dimmInHole: DeviceSpec = { kind: 'pc-dimm', id: 'dimm0', gpa: 0xfd_0000_0000n, size: GiB };

  it('kills the guest when the DIMM lands in a forbidden range after a VFIO attach (hw_error)', () => {
    const attached = hotplug({ guest: guest(), host: amdHost, device: nic() });
    const result = hotplug({ guest: attached.guest, host: amdHost, device: dimmInHole });
    expect(result.code).toBe('GUEST_CRASHED');
    expect(result.guest.status).toBe('crashed');
    expect(result.qemuError).toContain('vfio: DMA mapping failed, unable to continue');
    expect(hotplug({ guest: result.guest, host: amdHost, device: nic([], 'rp1', 'hostdev1') }).code).toBe(
      'GUEST_NOT_RUNNING',
    );
  });

  it('is harmless before any VFIO attach, but then the attach itself fails on the DIMM', () => {
    const withDimm = hotplug({ guest: guest(), host: amdHost, device: dimmInHole });
    expect(withDimm.ok).toBe(true);
    expect(withDimm.guest.status).toBe('running');
    const attach = hotplug({ guest: withDimm.guest, host: amdHost, device: nic() });
    expect(attach.code).toBe('VFIO_DMA_MAP_FAILED');
    expect(attach.qemuError).toContain('Region dimm0: ');
  });

  it('maps a DIMM in usable IOVA space after the attach', () => {
    const attached = hotplug({ guest: guest(), host: amdHost, device: nic() });
    const result = hotplug({
      guest: attached.guest,
      host: amdHost,
      device: { kind: 'pc-dimm', id: 'dimm1', gpa: 8n * GiB, size: GiB },
    });
    expect(result.ok).toBe(true);
    expect(result.guest.vfio!.mappings.map((m) => m.name)).toContain('dimm1');
  });

  it('refuses a DIMM that overlaps existing RAM', () => {
    const result = hotplug({
      guest: guest(),
      host: amdHost,
      device: { kind: 'pc-dimm', id: 'dimm2', gpa: GiB, size: GiB },
    });
    expect(result.code).toBe('DIMM_ADDRESS_CONFLICT');
  });
});
