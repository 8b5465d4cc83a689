// Shared by the RAM-versus-region rules: with no vIOMMU, QEMU maps every guest RAM section into the
// VFIO container with IOVA = GPA, so a host IOVA constraint is a constraint on guest RAM (core invariant).
import { formatRange, intersection, type AddressRange } from '@ferry/domain';
import { hexRange, type Severity } from '../../conflict/conflict.js';
import type { ConflictSink } from '../../conflict/sink.js';
import type { GuestRange, PreparedGuest } from '../../prepare/prepared-guest.js';
import type { PreparedHost } from '../../prepare/prepared-host.js';
import { setOverlapsAny, type RangeSet } from '../../prepare/range-set.js';
import { targetEvidence, type AssignmentContext } from '../context.js';

/** Kernels ≥ 5.4 refuse the map (clean failure); older ones accept it and DMA there is lost (docs/domain.md#vfio-iova-ranges). */
export const overlapSeverity = (host: PreparedHost): Severity => (host.enforcesIovaRanges ? 'error' : 'corruption');

export function overlapConsequence(host: PreparedHost, range: GuestRange): string {
  const later =
    range.kind === 'device-memory'
      ? '; RAM hot-plugged into it later kills the VM (hw_error "DMA mapping failed, unable to continue")'
      : '';
  return host.enforcesIovaRanges
    ? `kernel ${host.host.kernel} enforces valid IOVA ranges, so VFIO_IOMMU_MAP_DMA fails with -EINVAL and the device cannot be added (a clean failure)${later}`
    : `kernel ${host.host.kernel} is older than 5.4 and does not enforce valid IOVA ranges: the map succeeds silently and DMA to that range is lost (silent corruption)${later}`;
}

export const guestRangeJson = (range: GuestRange) => ({
  ...hexRange(range),
  kind: range.kind,
  label: range.label ?? null,
});

/** "guest RAM [0x…, 0x…] ('label')", for the middle of a sentence. */
export const describeGuestRange = (range: GuestRange) =>
  `guest ${range.kind === 'ram' ? 'RAM' : 'device memory'} ${formatRange(range)}${range.label ? ` ('${range.label}')` : ''}`;

export interface RangeOverlap<Region extends AddressRange> {
  region: Region;
  range: GuestRange;
  overlap: AddressRange;
}

/**
 * Calls `report` for each (region, guest range) pair that overlaps. The merged set answers "any?" by
 * binary search first, so the common no-overlap case never walks the raw regions.
 */
export function forEachRamOverlap<Region extends AddressRange>(
  guest: PreparedGuest,
  set: RangeSet,
  regions: readonly Region[],
  sink: ConflictSink,
  report: (hit: RangeOverlap<Region>) => void,
): void {
  if (!setOverlapsAny(set, guest.dmaRanges)) return;
  for (const region of regions) {
    for (const range of guest.dmaRanges) {
      const overlap = intersection(region, range);
      if (!overlap) continue;
      report({ region, range, overlap });
      if (!sink.detailed) return;
    }
  }
}

/** The evidence both group-region rules give: which group, device and region, and where the guest's range is hit. */
export function groupOverlapEvidence(context: AssignmentContext, hit: RangeOverlap<AddressRange & { type: string }>) {
  const { host, device, request } = context;
  return {
    hostId: host.id,
    groupId: device.group.id,
    device: device.address,
    target: targetEvidence(request),
    region: { ...hexRange(hit.region), type: hit.region.type },
    guestRange: guestRangeJson(hit.range),
    overlap: hexRange(hit.overlap),
    kernel: host.host.kernel,
    iovaRangesEnforced: host.enforcesIovaRanges,
  };
}
