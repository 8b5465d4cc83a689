// Forbidden IOVA sets are merged once per host/group into sorted, disjoint ranges and then searched by
// binary search, so checking a guest costs O(k log m) for k guest ranges against m forbidden ranges.
import { mergeRanges, type AddressRange } from '@ferry/domain';

/** Sorted, disjoint, non-touching ranges (the output of mergeRanges). */
export type RangeSet = readonly AddressRange[];

export const toRangeSet = (ranges: readonly AddressRange[]): RangeSet => mergeRanges(ranges);

/** Index of the first range whose end is ≥ address, or set.length. */
export function firstEndingAtOrAfter(set: RangeSet, address: bigint): number {
  let low = 0;
  let high = set.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (set[mid]!.end < address) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** True when `range` shares at least one address with the set. */
export function setOverlaps(set: RangeSet, range: AddressRange): boolean {
  const index = firstEndingAtOrAfter(set, range.start);
  return index < set.length && set[index]!.start <= range.end;
}

/** True when any of `ranges` (in any order) shares an address with the set. */
export function setOverlapsAny(set: RangeSet, ranges: readonly AddressRange[]): boolean {
  if (set.length === 0) return false;
  for (const range of ranges) if (setOverlaps(set, range)) return true;
  return false;
}
