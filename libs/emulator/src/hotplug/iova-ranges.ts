// IOVA arithmetic on inclusive ranges, as the kernel prints them (reserved_regions, the
// VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE capability): [start, end] with end included.

export interface IovaRange {
  start: bigint;
  end: bigint;
}

export type ReservedRegionType = 'direct' | 'direct-relaxable' | 'reserved' | 'msi';

export interface ReservedRegion extends IovaRange {
  type: ReservedRegionType;
}

/** VFIO type1 removes every region but direct-relaxable from the usable IOVA list. */
export function isEnforcedRegion(region: ReservedRegion): boolean {
  return region.type !== 'direct-relaxable';
}

export function aperture(addressWidthBits: number): IovaRange {
  return { start: 0n, end: (1n << BigInt(addressWidthBits)) - 1n };
}

/**
 * The valid IOVA list vfio_iommu_type1_attach_group builds: the aperture [0, 2^width − 1]
 * minus every non-relaxable reserved region. Sorted, disjoint.
 */
export function usableIovaRanges(addressWidthBits: number, regions: readonly ReservedRegion[]): IovaRange[] {
  let usable: IovaRange[] = [aperture(addressWidthBits)];
  const holes = regions.filter(isEnforcedRegion).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (const hole of holes) usable = usable.flatMap((range) => subtract(range, hole));
  return usable;
}

export function intersection(a: IovaRange, b: IovaRange): IovaRange | null {
  const start = a.start > b.start ? a.start : b.start;
  const end = a.end < b.end ? a.end : b.end;
  return start <= end ? { start, end } : null;
}

function subtract(range: IovaRange, hole: IovaRange): IovaRange[] {
  if (!intersection(range, hole)) return [range];
  const parts: IovaRange[] = [];
  if (range.start < hole.start) parts.push({ start: range.start, end: hole.start - 1n });
  if (hole.end < range.end) parts.push({ start: hole.end + 1n, end: range.end });
  return parts;
}

/** The inclusive range a block of `size` bytes at `start` covers. */
export function rangeOf(start: bigint, size: bigint): IovaRange {
  return { start, end: start + size - 1n };
}
