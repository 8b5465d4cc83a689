// docs/domain.md#viommu-host-checks: QEMU's emulated SMMUv3 cannot host VFIO devices ("requires iommu MAP notifier which is not currently supported").
import type { ConflictSink } from '../../conflict/sink.js';
import { vfioInPlay, type GuestContext } from '../context.js';

export function viommuCannotHostVfio(context: GuestContext, sink: ConflictSink): void {
  const { guest } = context;
  if (guest.state.definition.viommu !== 'smmuv3') return;
  const count = vfioInPlay(context);
  if (count === 0) return;
  sink.report('VIOMMU_CANNOT_HOST_VFIO', 'error', () => ({
    message: `The guest uses QEMU's emulated smmuv3, which cannot host VFIO devices (${count} in this plan): realize fails with "requires iommu MAP notifier which is not currently supported".`,
    evidence: { guestId: guest.id, viommu: 'smmuv3', vfioDevices: count },
    fact: "The emulated SMMUv3 has no MAP notifier, so VFIO cannot mirror the guest's mappings into the host IOMMU.",
    remedy:
      'Redefine the guest with virtio-iommu (or no vIOMMU) before assigning VFIO devices; that needs a cold restart.',
  }));
}
