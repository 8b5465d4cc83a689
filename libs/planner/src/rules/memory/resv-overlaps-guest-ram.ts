// DOMAIN.md §1.2, §1.4, §2.5, §8 rules 4–5: `reserved` and `direct` regions leave the valid IOVA list; guest RAM there cannot be mapped.
import { formatRange } from '@ferry/domain';
import { hexRange } from '../../conflict/conflict.js';
import type { ConflictSink } from '../../conflict/sink.js';
import { describeTarget, targetEvidence, type AssignmentContext } from '../context.js';
import { describeGuestRange, forEachRamOverlap, guestRangeJson, overlapConsequence, overlapSeverity } from './ram-overlap.js';

export function resvOverlapsGuestRam(context: AssignmentContext, sink: ConflictSink): void {
  const { guest, host, device, request } = context;
  if (!guest.identityMapped) return;
  const group = device.group;
  forEachRamOverlap(guest, group.reservedSet, group.reservedRegions, sink, ({ region, range, overlap }) =>
    sink.report('RESV_OVERLAPS_GUEST_RAM', overlapSeverity(host), () => ({
      message:
        `IOMMU group ${group.id} on ${host.id} (${describeTarget(request, device.address)}) has a ${region.type} region ${formatRange(region)} ` +
        `that overlaps ${describeGuestRange(range)} at ${formatRange(overlap)}; ${overlapConsequence(host, range)}.`,
      evidence: {
        hostId: host.id,
        groupId: group.id,
        device: device.address,
        target: targetEvidence(request),
        region: { ...hexRange(region), type: region.type },
        guestRange: guestRangeJson(range),
        overlap: hexRange(overlap),
        kernel: host.host.kernel,
        iovaRangesEnforced: host.enforcesIovaRanges,
      },
      fact: 'Without a vIOMMU QEMU maps all guest RAM at IOVA = GPA; vfio_iommu_type1 removes reserved/direct regions from the valid IOVA list and (since ~5.4) fails MAP_DMA there with -EINVAL.',
      remedy: `Choose a destination whose group for this device has no reserved region inside the guest's RAM, or redefine the guest so its RAM and device memory avoid ${formatRange(region)} (poolMemoryLayout lists the usable ranges).`,
    })),
  );
}
