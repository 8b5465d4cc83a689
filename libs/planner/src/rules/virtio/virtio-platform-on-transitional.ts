// docs/domain.md#virtio-qemu, #virtio-matrix: legacy/transitional virtio-pci cannot offer ACCESS_PLATFORM.
import type { ConflictSink } from '../../conflict/sink.js';
import type { VirtioContext } from '../context.js';
import { effectivePlatform, platformEvidence } from './effective-platform.js';

export function virtioPlatformOnTransitional(context: VirtioContext, sink: ConflictSink): void {
  if (!context.device.transitional || context.guest.machine.family === 's390-ccw-virtio') return;
  const platform = effectivePlatform(context);
  if (!platform.value) return;
  sink.report('VIRTIO_PLATFORM_ON_TRANSITIONAL', 'error', () => ({
    message: `virtio device '${context.device.id}' is transitional but has iommu_platform=on (${platform.source}${platform.rule ? ` ${platform.rule}` : ''}): QEMU refuses it with "VIRTIO_F_IOMMU_PLATFORM was supported by neither legacy nor transitional device".`,
    evidence: { ...platformEvidence(context, platform), transitional: true },
    fact: 'Legacy and transitional virtio-pci devices cannot negotiate feature bit 33; QEMU needs disable-legacy=on to offer it.',
    remedy: `Make '${context.device.id}' modern-only (disable-legacy=on, transitional: false), or set iommuPlatform: false on it if the guest has no vIOMMU and needs no restricted-memory DMA.`,
  }));
}
