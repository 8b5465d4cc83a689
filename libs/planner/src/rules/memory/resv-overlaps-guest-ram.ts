// docs/domain.md#region-types, #vfio-iova-ranges: `reserved` and `direct` regions leave the valid IOVA list; guest RAM there cannot be mapped.
import { formatRange } from '@ferry/domain';
import type { ConflictSink } from '../../conflict/sink.js';
import { describeTarget, type AssignmentContext } from '../context.js';
import {
  describeGuestRange,
  forEachRamOverlap,
  groupOverlapEvidence,
  overlapConsequence,
  overlapSeverity,
} from './ram-overlap.js';

export function resvOverlapsGuestRam(context: AssignmentContext, sink: ConflictSink): void {
  const { guest, host, device, request } = context;
  if (!guest.identityMapped) return;
  const group = device.group;
  forEachRamOverlap(guest, group.reservedSet, group.reservedRegions, sink, (hit) => {
    const { region, range, overlap } = hit;
    sink.report('RESV_OVERLAPS_GUEST_RAM', overlapSeverity(host), () => ({
      message:
        `IOMMU group ${group.id} on ${host.id} (${describeTarget(request, device.address)}) has a ${region.type} region ${formatRange(region)} ` +
        `that overlaps ${describeGuestRange(range)} at ${formatRange(overlap)}; ${overlapConsequence(host, range)}.`,
      evidence: groupOverlapEvidence(context, hit),
      fact: 'Without a vIOMMU QEMU maps all guest RAM at IOVA = GPA; vfio_iommu_type1 removes reserved/direct regions from the valid IOVA list and (since ~5.4) fails MAP_DMA there with -EINVAL.',
      remedy: `Choose a destination whose group for this device has no reserved region inside the guest's RAM, or redefine the guest so its RAM and device memory avoid ${formatRange(region)} (poolMemoryLayout lists the usable ranges).`,
    }));
  });
}
