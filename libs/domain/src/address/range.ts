import { toHex } from './address.js';

/** An address range with an INCLUSIVE end, as the kernel prints reserved regions. */
export interface AddressRange {
  start: bigint;
  end: bigint;
}

export function rangeOf(start: bigint, size: bigint): AddressRange {
  return { start, end: start + size - 1n };
}

export function rangeSize(range: AddressRange): bigint {
  return range.end - range.start + 1n;
}

export function overlaps(a: AddressRange, b: AddressRange): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/** The part two ranges share, or undefined. */
export function intersection(a: AddressRange, b: AddressRange): AddressRange | undefined {
  const start = a.start > b.start ? a.start : b.start;
  const end = a.end < b.end ? a.end : b.end;
  return start <= end ? { start, end } : undefined;
}

export function compareRanges(a: AddressRange, b: AddressRange): number {
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  if (a.end !== b.end) return a.end < b.end ? -1 : 1;
  return 0;
}

/** Sorts and merges overlapping or touching ranges into a disjoint, ascending list. */
export function mergeRanges(ranges: readonly AddressRange[]): AddressRange[] {
  const sorted = [...ranges].sort(compareRanges);
  const merged: AddressRange[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last && range.start <= last.end + 1n) {
      if (range.end > last.end) last.end = range.end;
    } else {
      merged.push({ start: range.start, end: range.end });
    }
  }
  return merged;
}

/** `from` minus every range in `remove`; both may be unsorted. */
export function subtractRanges(from: readonly AddressRange[], remove: readonly AddressRange[]): AddressRange[] {
  const holes = mergeRanges(remove);
  const result: AddressRange[] = [];
  for (const range of mergeRanges(from)) {
    let cursor = range.start;
    for (const hole of holes) {
      if (hole.end < cursor || hole.start > range.end) continue;
      if (hole.start > cursor) result.push({ start: cursor, end: hole.start - 1n });
      cursor = hole.end + 1n;
      if (cursor > range.end) break;
    }
    if (cursor <= range.end) result.push({ start: cursor, end: range.end });
  }
  return result;
}

export function formatRange(range: AddressRange): string {
  return `[${toHex(range.start)}, ${toHex(range.end)}]`;
}

export interface HexRange {
  start: string;
  end: string;
}

export function rangeToJson(range: AddressRange): HexRange {
  return { start: toHex(range.start), end: toHex(range.end) };
}
