// docs/domain.md#viommu-host-checks: intel-iommu with a VFIO device checks its aw-bits against the host IOMMU ("aw-bits %d > host aw-bits %d").
import type { ConflictSink } from '../../conflict/sink.js';
import type { DestinationContext } from '../context.js';

export function viommuAwBitsExceedHost(context: DestinationContext, sink: ConflictSink): void {
  const { guest, host } = context;
  const { viommu, viommuAddressWidthBits: awBits } = guest.state.definition;
  // Unset aw-bits means QEMU's default, which this model does not record; only an explicit value is checked.
  if (!context.assignsVfio || viommu !== 'intel-iommu' || awBits === undefined || awBits <= host.iommuWidthBits) return;
  sink.report('VIOMMU_AW_BITS_EXCEED_HOST', 'error', () => ({
    message: `The guest's intel-iommu has aw-bits=${awBits}, wider than ${host.id}'s ${host.iommuWidthBits}-bit IOMMU: QEMU refuses the VFIO device with "aw-bits ${awBits} > host aw-bits ${host.iommuWidthBits}".`,
    evidence: {
      hostId: host.id,
      guestId: guest.id,
      viommu,
      guestAwBits: awBits,
      hostAddressWidthBits: host.iommuWidthBits,
    },
    fact: 'QEMU ≥ 9.x passes host IOMMU facts to vIOMMUs through HostIOMMUDevice; intel-iommu rejects a guest address width the host cannot translate.',
    remedy: `Define the guest with aw-bits ≤ ${host.iommuWidthBits} (needs a cold restart), or choose a host whose IOMMU is at least ${awBits} bits wide.`,
  }));
}
