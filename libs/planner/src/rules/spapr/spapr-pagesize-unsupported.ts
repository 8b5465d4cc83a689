// docs/domain.md#spapr-windows: the TCE page sizes the guest may ask for must be backed by the host's IOMMU page sizes.
import { formatSize, toHex } from '@ferry/domain';
import type { ConflictSink } from '../../conflict/sink.js';
import type { DestinationContext } from '../context.js';
import { guestTcePageSizes, sizesJson, spaprOf } from './spapr-applies.js';

// vfio_spapr_create_window backs a guest page size with the largest host size ≤ it; it fails
// ("Host doesn't support page size 0x…, the supported mask is 0x…") only when the host has none that small.
export function spaprPagesizeUnsupported(context: DestinationContext, sink: ConflictSink): void {
  const spapr = spaprOf(context);
  if (!spapr?.effective || spapr.pageSizes.length === 0) return;
  const { host } = context;
  // Without DDW the guest only has the default window, built from 4 KiB TCEs.
  const requested = spapr.ddwUsable ? guestTcePageSizes(context) : [4096n];
  const unbacked = requested.filter((size) => !spapr.pageSizes.some((hostSize) => hostSize <= size));
  if (unbacked.length === 0) return;
  const mask = spapr.pageSizes.reduce((m, s) => m | s, 0n);
  sink.report('SPAPR_PAGESIZE_UNSUPPORTED', 'error', () => ({
    message: `The guest's TCE page size(s) ${sizesJson(unbacked).join(', ')} cannot be backed on ${host.id}, whose IOMMU supports ${sizesJson(spapr.pageSizes).join(', ')}: QEMU fails with "Host doesn't support page size …, the supported mask is ${toHex(mask)}".`,
    evidence: {
      hostId: host.id,
      requested: sizesJson(requested),
      hostPageSizes: sizesJson(spapr.pageSizes),
      unbacked: sizesJson(unbacked),
      hostMask: toHex(mask),
    },
    fact: 'QEMU pgsz defaults to 4K|64K (pseries ≤ 4.1) or 4K|64K|2M|16M (≥ 4.2); hardware and VFIO support 4 KiB, 64 KiB and 16 MiB.',
    remedy: `Set the guest PHB's pgsz to sizes ${host.id} supports (${sizesJson(spapr.pageSizes).join(', ')}), or choose a host that supports ${formatSize(unbacked[0]!)} pages.`,
  }));
}
