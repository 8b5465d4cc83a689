// Which parts of guest RAM (mapped at IOVA = GPA, the no-vIOMMU case) a host cannot map.
import type { RamBlockSpec } from '../memory/guest-memory.js';
import type { DmaOverlap } from './hotplug-model.js';
import { aperture, intersection, isEnforcedRegion, rangeOf, type ReservedRegion } from './iova-ranges.js';

/** Every overlap of one RAM block with the forbidden set: reserved regions and beyond the aperture. */
export function ramOverlaps(
  block: RamBlockSpec,
  addressWidthBits: number,
  regions: readonly ReservedRegion[],
): DmaOverlap[] {
  const ram = rangeOf(block.gpa, block.size);
  const overlaps: DmaOverlap[] = [];
  for (const region of regions) {
    if (!isEnforcedRegion(region)) continue;
    const overlap = intersection(ram, region);
    if (overlap) overlaps.push({ ramBlock: block.name, ram, region, overlap });
  }
  const top = aperture(addressWidthBits).end;
  if (ram.end > top) {
    overlaps.push({
      ramBlock: block.name,
      ram,
      region: null,
      overlap: { start: ram.start > top ? ram.start : top + 1n, end: ram.end },
    });
  }
  return overlaps;
}
