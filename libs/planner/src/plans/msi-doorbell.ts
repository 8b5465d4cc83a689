// A deterministic MSI doorbell IOVA for a pool (docs/domain.md#thread-arm-guest-msi, LPC 2016 minutes: "statically pick an
// address for the doorbell in a similar way to x86 … if it conflicts with a reserved region on the
// platform, deterministically allocate it somewhere else, probably within the bottom 4G").
import { MiB, mergeRanges, subtractRanges, toHex, type AddressRange, type HostState } from '@ferry/domain';

export interface MsiDoorbell {
  /** null when no window is free. */
  iova: string | null;
  size: string;
  reason: string;
}

/** MSI_IOVA_BASE/MSI_IOVA_LENGTH of the Arm SMMU drivers and virtio-iommu: the kernel's SW_MSI window (docs/domain.md#platform-regions). */
export const ARM_SW_MSI_WINDOW: AddressRange = { start: 0x0800_0000n, end: 0x080f_ffffn };
const X86_MSI_WINDOW: AddressRange = { start: 0xfee0_0000n, end: 0xfeef_ffffn };
const FOUR_GIB = 0x1_0000_0000n;

interface SourcedRange extends AddressRange {
  source: { kind: string };
}

/**
 * x86 pools keep 0xfee00000: MSIs there are interrupt requests, not DMA, on every x86 host. Elsewhere
 * the doorbell is the lowest 1 MiB-aligned, 1 MiB window at or above 0x08000000 (Arm's MSI_IOVA_BASE)
 * and below 4 GiB that avoids every reserved/direct/hardware-MSI region, every bridge window and the
 * RAM areas of identity-mapped machine families. The SW_MSI window itself is not an obstacle: it is
 * exactly what is being placed.
 */
export function chooseMsiDoorbell(
  hosts: readonly HostState[],
  forbidden: readonly SourcedRange[],
  bridgeWindows: readonly AddressRange[],
  ramAreas: readonly AddressRange[],
): MsiDoorbell {
  const size = toHex(MiB);
  if (hosts.length > 0 && hosts.every((h) => h.host.arch === 'x86_64')) {
    return {
      iova: toHex(X86_MSI_WINDOW.start),
      size,
      reason:
        'x86: the MSI address range 0xfee00000–0xfeefffff is architectural and handled by interrupt remapping on every host.',
    };
  }
  const obstacles = mergeRanges([
    ...forbidden.filter(
      (r) =>
        !(
          r.source.kind === 'arm-sw-msi' ||
          (r.source.kind === 'msi' && r.start === ARM_SW_MSI_WINDOW.start && r.end === ARM_SW_MSI_WINDOW.end)
        ),
    ),
    ...bridgeWindows,
    ...ramAreas,
  ]);
  const free = subtractRanges([{ start: ARM_SW_MSI_WINDOW.start, end: FOUR_GIB - 1n }], obstacles);
  for (const range of free) {
    const start = ((range.start + MiB - 1n) / MiB) * MiB;
    if (start + MiB - 1n <= range.end) {
      const moved = start !== ARM_SW_MSI_WINDOW.start;
      return {
        iova: toHex(start),
        size,
        reason: moved
          ? `0x8000000 collides with a reserved region, bridge window or guest RAM on some host of the pool; ${toHex(start)} is the lowest free 1 MiB-aligned window above it in the bottom 4 GiB.`
          : '0x8000000 (MSI_IOVA_BASE) is free on every host of the pool.',
      };
    }
  }
  return {
    iova: null,
    size,
    reason: 'No 1 MiB-aligned window between 0x8000000 and 4 GiB is free on every host of the pool.',
  };
}
