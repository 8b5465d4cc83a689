// docs/domain.md#virtio-matrix (below the table): physical virtio or vDPA hardware behind a real IOMMU without ACCESS_PLATFORM corrupts or fails.
import type { ConflictSink } from '../../conflict/sink.js';
import { describeTarget, targetEvidence, type AssignmentContext } from '../context.js';

export function virtioPhysicalWithoutAccessPlatform(context: AssignmentContext, sink: ConflictSink): void {
  const { host, device, request } = context;
  if (!device.facts.virtio || device.facts.accessPlatform || host.host.iommu.model === 'none') return;
  sink.report('VIRTIO_PHYSICAL_WITHOUT_ACCESS_PLATFORM', 'corruption', () => ({
    message: `${describeTarget(request, device.address)} on ${host.id} is physical virtio/vDPA hardware that does not offer VIRTIO_F_ACCESS_PLATFORM: the guest driver will bypass the DMA API (raw addresses, weak barriers) although the device sits behind ${host.host.iommu.model}.`,
    evidence: {
      hostId: host.id,
      device: device.address,
      groupId: device.group.id,
      target: targetEvidence(request),
      virtio: true,
      accessPlatform: false,
      iommuModel: host.host.iommu.model,
    },
    fact: 'Hardware virtio devices must negotiate ACCESS_PLATFORM (and ORDER_PLATFORM) to be driven through the platform DMA API; without it translation and ordering are wrong.',
    remedy: `Enable VIRTIO_F_ACCESS_PLATFORM in the device's firmware/vDPA parent, or assign a different device than ${device.address}.`,
  }));
}
