// docs/domain.md#platform-regions, #msi: `msi` regions (HW doorbells, SW_MSI cookie window) are not usable IOVA; guest RAM there cannot be mapped.
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

export function msiWindowOverlapsGuestRam(context: AssignmentContext, sink: ConflictSink): void {
  const { guest, host, device, request } = context;
  if (!guest.identityMapped) return;
  const group = device.group;
  forEachRamOverlap(guest, group.msiSet, group.msiRegions, sink, (hit) => {
    const { region, range, overlap } = hit;
    sink.report('MSI_WINDOW_OVERLAPS_GUEST_RAM', overlapSeverity(host), () => ({
      message:
        `IOMMU group ${group.id} on ${host.id} (${describeTarget(request, device.address)}) has an MSI region ${formatRange(region)} ` +
        `that overlaps ${describeGuestRange(range)} at ${formatRange(overlap)}: device writes there are decoded as interrupts, not DMA; ${overlapConsequence(host, range)}.`,
      evidence: groupOverlapEvidence(context, hit),
      fact: 'Both IOMMU_RESV_MSI (hardware doorbells such as HiSilicon ITS) and IOMMU_RESV_SW_MSI (the kernel\'s MSI cookie window) print as "msi" and are removed from usable IOVA.',
      remedy: `Choose a destination without an MSI region inside the guest's RAM (for Arm, one whose SMMU translates ITS writes and uses the 0x8000000 SW_MSI window), or redefine the guest so its RAM avoids ${formatRange(region)}.`,
    }));
  });
}
