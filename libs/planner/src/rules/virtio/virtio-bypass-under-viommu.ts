// docs/domain.md#virtio-matrix (row 2): with a vIOMMU, a device without ACCESS_PLATFORM bypasses it (works, but nothing is isolated).
import type { ConflictSink } from '../../conflict/sink.js';
import type { VirtioContext } from '../context.js';
import { effectivePlatform, hasTranslatingViommu, platformEvidence } from './effective-platform.js';

// The nested/userspace case is VIRTIO_PASSTHROUGH_TO_NESTED (corruption); this is the benign remainder.
export function virtioBypassUnderViommu(context: VirtioContext, sink: ConflictSink): void {
  if (!hasTranslatingViommu(context) || context.guest.state.guestOs.nestedDriversInGuest) return;
  const platform = effectivePlatform(context);
  if (platform.value) return;
  const viommu = context.guest.state.definition.viommu;
  sink.report('VIRTIO_BYPASS_UNDER_VIOMMU', 'warning', () => ({
    message: `virtio device '${context.device.id}' has iommu_platform=off (${platform.source}${platform.rule ? ` ${platform.rule}` : ''}) in a guest with ${viommu}: it bypasses the vIOMMU. Guest kernel drivers work, but the device is not isolated, and handing it to guest userspace or a nested guest would corrupt memory.`,
    evidence: { ...platformEvidence(context, platform), viommu, nestedDriversInGuest: false },
    fact: 'Without the bit, vring_use_dma_api() is false and raw GPAs go into the rings, whatever the vIOMMU says.',
    remedy: `Set iommuPlatform: true on '${context.device.id}' (the guest driver must acknowledge bit 33), so the device honours ${viommu}.`,
  }));
}
