// POWER: which sPAPR TCE backend QEMU will really get, and the DMA windows that come with it (docs/domain.md#spapr-v1-fallback, #spapr-windows).
import { rangeOf, type AddressRange, type Host, type VFIO_BACKENDS } from '@ferry/domain';

type VfioBackend = (typeof VFIO_BACKENDS)[number];

export interface PreparedSpapr {
  advertised: readonly VfioBackend[];
  /** What SET_IOMMU ends up with after QEMU's v2 → v1 retry (vfio_set_iommu). */
  effective: 'spapr-tce-v2' | 'spapr-tce-v1' | undefined;
  /** v2 advertised, but the group lacks the v2 operations (pseries / KVM-PR host): QEMU fell back to v1. */
  fellBack: boolean;
  /** Dynamic DMA windows: only with v2 and ddw enabled. */
  ddwUsable: boolean;
  dma32Window: AddressRange | undefined;
  dma64WindowAddr: bigint | undefined;
  pageSizes: readonly bigint[];
}

export function prepareSpapr(host: Host): PreparedSpapr {
  const advertised = host.iommu.vfioBackends.filter((b) => b.startsWith('spapr'));
  const hasV2 = advertised.includes('spapr-tce-v2');
  // "vfio/spapr: Allow fallback to SPAPR TCE IOMMU v1" (docs/domain.md#thread-spapr-v1-fallback): the spapr driver advertises both,
  // but KVM-PR (pseries) hosts reject v2 at SET_IOMMU, so the container really runs v1.
  const v2Usable = hasV2 && host.iommu.kvm !== 'pr';
  const effective = v2Usable
    ? 'spapr-tce-v2'
    : hasV2 || advertised.includes('spapr-tce-v1')
      ? 'spapr-tce-v1'
      : undefined;
  const spapr = host.spapr;
  return {
    advertised,
    effective,
    fellBack: hasV2 && !v2Usable,
    ddwUsable: effective === 'spapr-tce-v2' && (spapr?.ddw ?? true),
    dma32Window: spapr ? rangeOf(spapr.dma32Window.start, spapr.dma32Window.size) : undefined,
    dma64WindowAddr: spapr?.dma64WindowAddr,
    pageSizes: spapr?.pageSizes ?? [],
  };
}
