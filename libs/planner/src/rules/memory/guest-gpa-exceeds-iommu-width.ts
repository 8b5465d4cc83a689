// docs/domain.md#vfio-iova-ranges, #migrate-then-hotplug: IOVAs beyond the host IOMMU aperture are forbidden (vfio_iommu_aper_conflict).
import { toHex } from '@ferry/domain';
import { hexRange } from '../../conflict/conflict.js';
import type { ConflictSink } from '../../conflict/sink.js';
import type { DestinationContext } from '../context.js';

export function guestGpaExceedsIommuWidth(context: DestinationContext, sink: ConflictSink): void {
  const { guest, host } = context;
  const top = guest.maxDmaAddress;
  if (!context.assigns || !guest.identityMapped || top === undefined || top < host.apertureLimit) return;
  sink.report('GUEST_GPA_EXCEEDS_IOMMU_WIDTH', 'error', () => ({
    message: `The guest maps RAM up to ${toHex(top)}, but ${host.id}'s IOMMU is ${host.iommuWidthBits} bits wide (IOVAs up to ${toHex(host.apertureLimit - 1n)}): the group attach or MAP_DMA beyond the aperture fails with -EINVAL.`,
    evidence: {
      hostId: host.id,
      iommuModel: host.host.iommu.model,
      addressWidthBits: host.iommuWidthBits,
      aperture: hexRange({ start: 0n, end: host.apertureLimit - 1n }),
      highestGuestDmaAddress: toHex(top),
      beyondAperture: hexRange({ start: host.apertureLimit, end: top }),
    },
    fact: "vfio_iommu_type1 rejects mappings outside the domain aperture (the IOMMU address width); with IOVA = GPA the guest's highest RAM or device-memory address must fit.",
    remedy: `Choose a destination whose IOMMU is at least ${bitLength(top)} bits wide, or shrink the guest's RAM/maxmem so everything stays below ${toHex(host.apertureLimit)}.`,
  }));
}

const bitLength = (value: bigint) => value.toString(2).length;
