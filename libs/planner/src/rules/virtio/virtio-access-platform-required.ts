// docs/domain.md#virtio-linux-guest, #virtio-matrix: restricted-memory guests (SEV, TDX, s390 PV, CCA, PEF, Xen) need ACCESS_PLATFORM on every device.
import type { ConflictSink } from '../../conflict/sink.js';
import type { VirtioContext } from '../context.js';
import { effectivePlatform, platformEvidence } from './effective-platform.js';

export function virtioAccessPlatformRequired(context: VirtioContext, sink: ConflictSink): void {
  const { confidential, xen } = context.guest.state.guestOs;
  if (confidential === 'none' && !xen) return;
  const platform = effectivePlatform(context);
  if (platform.value) return;
  const why = confidential !== 'none' ? `a ${confidential} confidential guest` : 'a Xen guest';
  sink.report('VIRTIO_ACCESS_PLATFORM_REQUIRED', 'error', () => ({
    message: `virtio device '${context.device.id}' has iommu_platform=off (${platform.source}${platform.rule ? ` ${platform.rule}` : ''}) in ${why}: the guest cannot share its memory with the device; new guest kernels fail it with "device must provide VIRTIO_F_ACCESS_PLATFORM", older ones corrupt silently.`,
    evidence: { ...platformEvidence(context, platform), confidential, xen },
    fact: 'virtio_features_ok() requires VERSION_1 and ACCESS_PLATFORM when a restricted-memory callback is set (SEV, TDX, s390 PV, Xen grants, arm64 CCA); vring_use_dma_api() always uses the DMA API on Xen.',
    remedy: `Set iommuPlatform: true on '${context.device.id}' (and keep it modern-only).`,
  }));
}
