// Attaching a VFIO group to a guest without a vIOMMU (type1 IOMMUs: x86, arm64). The kernel's
// order (drivers/vfio/vfio_iommu_type1.c; docs/domain.md#vfio-iova-ranges): the iommu core refuses devices
// with a `direct` region; the attach requires MSI isolation (-EPERM); then QEMU's memory
// listener maps every RAM section at IOVA = GPA and VFIO_IOMMU_MAP_DMA fails with -EINVAL
// outside the valid IOVA list. Kernels before that list existed accept the maps silently.
import type { GuestState, HostSpec, HotplugResult, VfioBackend, VfioGroupSpec } from './hotplug-model.js';
import { changed, refused } from './hotplug-result.js';
import { ramOverlaps } from './dma-overlaps.js';
import { rangeOf, type ReservedRegion } from './iova-ranges.js';
import { placeOnRootPort } from './pci-slots.js';
import {
  EFAULT,
  EINVAL,
  KERNEL_DIRECT_REGION_REJECT,
  KERNEL_NO_INTERRUPT_REMAPPING,
  dmaMapError,
  vfioContainerError,
} from './qemu-messages.js';

export interface VfioDevice {
  id: string;
  bus: string;
  hostAddress: string;
  group: VfioGroupSpec;
}

/** The regions a group reports on a host: the host-wide ones plus its own. */
export function groupRegions(host: HostSpec, group: VfioGroupSpec): ReservedRegion[] {
  return [...host.reservedRegions, ...(group.reservedRegions ?? [])];
}

export function attachType1(guest: GuestState, host: HostSpec, device: VfioDevice): HotplugResult {
  const { hostAddress, group } = device;
  const fail = (cause: string) => vfioContainerError(hostAddress, group.id, cause);
  // pci_qdev_realize claims the slot before vfio_realize sets up the container.
  const placed = placeOnRootPort(guest, {
    id: device.id,
    kind: 'vfio-pci',
    driver: 'vfio-pci',
    bus: device.bus,
    usable: true,
  });
  if (!placed.ok) return refused(guest, placed.code, placed.message);
  const backend = guest.vfio?.backend ?? chooseType1Backend(host);
  if (!backend) return refused(guest, 'VFIO_NO_IOMMU_BACKEND', fail('No available IOMMU models: Invalid argument'));

  const regions = groupRegions(host, group);
  if (regions.some((r) => r.type === 'direct')) {
    return refused(guest, 'VFIO_DIRECT_REGION', fail('Failed to set group container: Invalid argument'), {
      kernelLog: [`vfio-pci ${hostAddress}: ${KERNEL_DIRECT_REGION_REJECT}`],
    });
  }
  if (!host.interruptRemapping && !host.allowUnsafeInterrupts) {
    return refused(
      guest,
      'VFIO_NO_INTERRUPT_REMAPPING',
      fail('Failed to set iommu for container: Operation not permitted'),
      {
        kernelLog: [`vfio_iommu_type1_attach_group: ${KERNEL_NO_INTERRUPT_REMAPPING}`],
      },
    );
  }

  // The memory listener maps RAM sections in address order; the first refused one is reported.
  const blocks = [...guest.ramBlocks].sort((a, b) => (a.gpa < b.gpa ? -1 : a.gpa > b.gpa ? 1 : 0));
  const overlapsByBlock = blocks.map((block) => ramOverlaps(block, host.iommuAddressWidthBits, regions));
  const overlaps = overlapsByBlock.flat();
  for (const [i, blockOverlaps] of overlapsByBlock.entries()) {
    if (blockOverlaps.length === 0) continue;
    const block = blocks[i]!;
    // Before the IOVA list existed, the IOMMU driver still refused addresses wider than its
    // page table (intel_iommu_map: -EFAULT) [unverified for other vendors].
    const beyondAperture = blockOverlaps.some((o) => o.region === null);
    if (host.kernelEnforcesIovaRanges || beyondAperture) {
      const errno = host.kernelEnforcesIovaRanges ? EINVAL : EFAULT;
      const error = dmaMapError(group.id, block, guest.ramBlocks.indexOf(block), errno);
      return refused(guest, 'VFIO_DMA_MAP_FAILED', fail(`memory listener initialization failed: ${error}`));
    }
  }

  const next: GuestState = {
    ...placed.guest,
    vfio: {
      backend,
      groups: [...(guest.vfio?.groups ?? []), group],
      mappings: blocks.map((b) => ({ name: b.name, ...rangeOf(b.gpa, b.size) })),
      dmaWindows: [],
    },
  };
  const events =
    overlaps.length > 0 ? [{ type: 'SilentDmaCorruptionRisk' as const, deviceId: device.id, overlaps }] : [];
  return changed(next, 'OK', null, { events });
}

/** QEMU's vfio_get_iommu_type order, restricted to type1 flavours. */
function chooseType1Backend(host: HostSpec): VfioBackend | null {
  for (const candidate of ['type1v2', 'type1'] as const) if (host.vfioBackends.includes(candidate)) return candidate;
  return null;
}
