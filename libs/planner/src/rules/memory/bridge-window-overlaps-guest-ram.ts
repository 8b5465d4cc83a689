// docs/domain.md#bridge-windows: host-bridge windows are routed peer-to-peer before the IOMMU and are absent from sysfs and VFIO ranges.
import { formatRange, intersection } from '@ferry/domain';
import { hexRange } from '../../conflict/conflict.js';
import type { ConflictSink } from '../../conflict/sink.js';
import { setOverlaps } from '../../prepare/range-set.js';
import type { DestinationContext } from '../context.js';
import { describeGuestRange, guestRangeJson } from './ram-overlap.js';

export function bridgeWindowOverlapsGuestRam(context: DestinationContext, sink: ConflictSink): void {
  const { guest, host } = context;
  if (!context.assigns || !guest.identityMapped || host.bridgeWindows.length === 0) return;
  for (const range of guest.dmaRanges) {
    if (!setOverlaps(host.bridgeWindows, range)) continue;
    for (const window of host.bridgeWindows) {
      const overlap = intersection(window, range);
      if (!overlap) continue;
      sink.report('BRIDGE_WINDOW_OVERLAPS_GUEST_RAM', 'warning', () => ({
        message: `Host-bridge window ${formatRange(window)} on ${host.id} overlaps ${describeGuestRange(range)} at ${formatRange(overlap)}: the root complex may route device DMA there as peer-to-peer, so it never reaches the guest's memory. VFIO does not report this.`,
        evidence: {
          hostId: host.id,
          bridgeWindow: hexRange(window),
          guestRange: guestRangeJson(range),
          overlap: hexRange(overlap),
        },
        fact: 'Since "iommu/dma: Move PCI window region reservation back into dma specific path" (2018) host-bridge windows are reserved only for kernel DMA domains; they are missing from reserved_regions and VFIO IOVA ranges. Read them from /proc/iomem.',
        remedy: `Prefer a destination whose /proc/iomem PCI bus windows avoid the guest's RAM, or redefine the guest so its RAM avoids ${formatRange(window)}.`,
      }));
      if (!sink.detailed) return;
    }
  }
}
