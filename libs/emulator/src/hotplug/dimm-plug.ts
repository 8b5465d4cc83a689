// RAM hot-plug (pc-dimm). Without VFIO the new RAM needs no IOMMU mapping. With a VFIO
// container, QEMU's memory listener must map it at IOVA = GPA; a refused map at that point
// cannot be undone, so QEMU calls hw_error("vfio: DMA mapping failed, unable to continue")
// and the guest dies. Old kernels accept the map and corrupt DMA silently instead.
import type { RamBlockSpec } from '../memory/guest-memory.js';
import { isPageAligned } from '../units.js';
import type { DeviceSpec, GuestState, HostSpec, HotplugResult } from './hotplug-model.js';
import { changed, refused } from './hotplug-result.js';
import { ramOverlaps } from './dma-overlaps.js';
import { intersection, rangeOf } from './iova-ranges.js';
import { QEMU_DMA_MAP_FATAL } from './qemu-messages.js';
import { groupRegions } from './vfio-attach.js';

type DimmDevice = Extract<DeviceSpec, { kind: 'pc-dimm' }>;

export function plugDimm(guest: GuestState, host: HostSpec, device: DimmDevice): HotplugResult {
  const block: RamBlockSpec = { name: device.id, gpa: device.gpa, size: device.size };
  if (device.size <= 0n || !isPageAligned(device.size) || !isPageAligned(device.gpa)) {
    return refused(
      guest,
      'DIMM_ADDRESS_CONFLICT',
      `memory device ${device.id}: address and size must be page aligned and non-empty`,
    );
  }
  const clash = guest.ramBlocks.find((b) => intersection(rangeOf(b.gpa, b.size), rangeOf(block.gpa, block.size)));
  if (clash) {
    return refused(guest, 'DIMM_ADDRESS_CONFLICT', `address range conflicts with memory device id='${clash.name}'`);
  }
  const withDimm: GuestState = {
    ...guest,
    ramBlocks: [...guest.ramBlocks, block],
    devices: [...guest.devices, { id: device.id, kind: 'pc-dimm', driver: 'pc-dimm', bus: null, usable: true }],
  };
  const container = guest.vfio;
  // sPAPR containers map through guest-programmed TCE windows, never RAM at IOVA = GPA.
  if (!container || host.arch === 'ppc64') return changed(withDimm, 'OK', null);

  const regions = container.groups.flatMap((group) => groupRegions(host, group));
  const overlaps = ramOverlaps(block, host.iommuAddressWidthBits, regions);
  if (overlaps.length === 0 || (!host.kernelEnforcesIovaRanges && overlaps.every((o) => o.region !== null))) {
    const mapped: GuestState = {
      ...withDimm,
      vfio: {
        ...container,
        mappings: [...container.mappings, { name: block.name, ...rangeOf(block.gpa, block.size) }],
      },
    };
    const events =
      overlaps.length > 0 ? [{ type: 'SilentDmaCorruptionRisk' as const, deviceId: device.id, overlaps }] : [];
    return changed(mapped, 'OK', null, { events });
  }
  const crashed: GuestState = { ...withDimm, status: 'crashed', crashReason: QEMU_DMA_MAP_FATAL };
  return changed(crashed, 'GUEST_CRASHED', `qemu: hardware error: ${QEMU_DMA_MAP_FATAL}`, {
    events: [{ type: 'GuestCrashed', reason: QEMU_DMA_MAP_FATAL }],
  });
}
