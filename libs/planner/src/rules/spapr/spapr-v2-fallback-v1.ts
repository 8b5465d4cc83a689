// docs/domain.md#spapr-v1-fallback, #thread-spapr-v1-fallback: advertised ≠ usable — KVM-PR (pseries) hosts reject v2 and QEMU retries with v1.
import type { ConflictSink } from '../../conflict/sink.js';
import type { DestinationContext } from '../context.js';
import { spaprOf } from './spapr-applies.js';

export function spaprV2FallbackV1(context: DestinationContext, sink: ConflictSink): void {
  const spapr = spaprOf(context);
  if (!spapr?.fellBack) return;
  const { host } = context;
  sink.report('SPAPR_V2_FALLBACK_V1', 'warning', () => ({
    message: `${host.id} advertises spapr-tce-v2, but it is a KVM-${host.host.iommu.kvm.toUpperCase()} host whose groups lack the v2 operations: QEMU falls back to spapr-tce-v1, so the guest gets only the default 32-bit DMA window — no dynamic DMA windows, no 64-bit window, no RAM pre-registration.`,
    evidence: {
      hostId: host.id,
      kvm: host.host.iommu.kvm,
      advertised: [...spapr.advertised],
      effective: spapr.effective ?? null,
      ddw: false,
    },
    fact: '"vfio/spapr: Allow fallback to SPAPR TCE IOMMU v1" (2017): the spapr_tce driver advertises v1 and v2, but "Enforce IOMMU type compatibility check" rejects v2 for pseries (KVM-PR) groups, so vfio_set_iommu retries with v1.',
    remedy:
      'Plan this guest with v1 limits (see SPAPR_WINDOW_TOO_SMALL), or choose a bare-metal powernv host running KVM-HV where v2 and DDW work.',
  }));
}
