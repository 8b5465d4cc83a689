// docs/domain.md#virtio-matrix (row 2), #thread-virtio-dma-api: a bypassing virtio device handed to guest userspace or an L2 guest corrupts memory.
import type { ConflictSink } from '../../conflict/sink.js';
import type { VirtioContext } from '../context.js';
import { effectivePlatform, hasTranslatingViommu, platformEvidence } from './effective-platform.js';

export function virtioPassthroughToNested(context: VirtioContext, sink: ConflictSink): void {
  if (!hasTranslatingViommu(context) || !context.guest.state.guestOs.nestedDriversInGuest) return;
  const platform = effectivePlatform(context);
  if (platform.value) return;
  const viommu = context.guest.state.definition.viommu;
  sink.report('VIRTIO_PASSTHROUGH_TO_NESTED', 'corruption', () => ({
    message: `virtio device '${context.device.id}' has iommu_platform=off (${platform.source}${platform.rule ? ` ${platform.rule}` : ''}) while the guest assigns devices to its own userspace or nested guests through ${viommu}: the device ignores the vIOMMU, so IOVAs programmed by the nested driver are used as guest-physical addresses — silent memory corruption, no isolation.`,
    evidence: { ...platformEvidence(context, platform), viommu, nestedDriversInGuest: true },
    fact: 'A virtio device without VIRTIO_F_ACCESS_PLATFORM DMAs to raw GPAs; passed through an L1 vIOMMU to L2 or to VFIO userspace, IOVA ≠ GPA and L1 memory is corrupted (Kiszka, Lutomirski, 2015).',
    remedy: `Set iommuPlatform: true on '${context.device.id}' (modern device, driver acks bit 33) before the guest hands it to userspace or an L2 guest; otherwise keep it with guest kernel drivers.`,
  }));
}
