import type { MemoryMapEntry } from '../fleet/guest-schema.js';

export function entry(start: bigint, size: bigint, kind: MemoryMapEntry['kind'], label: string): MemoryMapEntry {
  return { start, end: start + size - 1n, kind, label };
}

export function sortEntries(entries: MemoryMapEntry[]): MemoryMapEntry[] {
  return entries.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** Why QEMU would refuse to start a guest so defined, and which definition field to change. */
export interface LayoutRefusal {
  field: 'physBits' | 'memory';
  message: string;
}

/** The fewest address bits that reach `address` (QEMU's limit is 2^bits − 1). */
export function bitsToReach(address: bigint): number {
  return address.toString(2).length;
}
