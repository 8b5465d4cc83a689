// Host kernel releases decide behaviour: IOVA-range enforcement (~5.4), direct-region refusal (~6.6).

/** [major, minor] of a release like "6.8.0-45-generic"; [0, 0] when it cannot be read. */
export function kernelVersion(release: string): readonly [number, number] {
  const match = /^(\d+)\.(\d+)/.exec(release);
  return match ? [Number(match[1]), Number(match[2])] : [0, 0];
}

export function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const [ma, mi] = kernelVersion(release);
  return ma > major || (ma === major && mi >= minor);
}

/** "valid iova list" series (Shameer Kolothum), believed merged for 5.4: MAP_DMA outside the ranges fails (docs/domain.md#vfio-iova-ranges). */
export const IOVA_ENFORCEMENT_SINCE = [5, 4] as const;
/** "iommu: Prevent RESV_DIRECT devices from blocking domains", ~6.6: every vendor refuses direct-region groups (docs/domain.md#region-types). */
export const DIRECT_REFUSAL_SINCE = [6, 6] as const;
