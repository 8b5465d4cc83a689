// docs/domain.md#vfio-migration: "Migration is currently not supported with vIOMMU enabled" when a VFIO device sits behind it.
import type { ConflictSink } from '../../conflict/sink.js';
import type { GuestContext } from '../context.js';

export function viommuBlocksVfioMigration(context: GuestContext, sink: ConflictSink): void {
  const { guest, mode } = context;
  const { viommu } = guest.state.definition;
  // pseries devices always sit behind the sPAPR TCE IOMMU, whatever the definition says.
  const behindViommu = viommu !== 'none' || guest.machine.family === 'pseries';
  if (!behindViommu) return;
  const viommuName = viommu !== 'none' ? viommu : 'the sPAPR TCE IOMMU';
  if (mode === 'migration') {
    if (guest.vfioDevices.length === 0) return;
    sink.report('VIOMMU_BLOCKS_VFIO_MIGRATION', 'error', () => ({
      message: `The guest has VFIO device(s) ${guest.vfioDevices.map((d) => `'${d.id}'`).join(', ')} behind ${viommuName}: QEMU adds the migration blocker "Migration is currently not supported with vIOMMU enabled".`,
      evidence: { guestId: guest.id, viommu, vfioDevices: guest.vfioDevices.map((d) => d.id) },
      fact: 'VFIO device migration cannot track DMA through a vIOMMU; QEMU blocks migration (or fails realize with enable-migration=on).',
      remedy:
        'Hot-unplug the VFIO devices before migrating and re-add them on the destination, or redefine the guest without a vIOMMU.',
    }));
  } else if (context.hotplug?.kind === 'vfio') {
    sink.report('VIOMMU_BLOCKS_VFIO_MIGRATION', 'warning', () => ({
      message: `After this hot-plug the guest has a VFIO device behind ${viommuName}: it can no longer live-migrate until the device is removed.`,
      evidence: { guestId: guest.id, viommu, device: context.hotplug!.id },
      fact: 'QEMU adds the migration blocker "Migration is currently not supported with vIOMMU enabled" for VFIO devices behind a vIOMMU.',
      remedy: 'Plan to hot-unplug the device before any migration, or use a guest without a vIOMMU.',
    }));
  }
}
