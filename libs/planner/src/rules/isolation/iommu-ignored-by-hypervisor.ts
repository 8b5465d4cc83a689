// docs/domain.md#iommu-quirk-list, #thread-iommu-passthrough: a platform quirk list — devices the tables put behind the IOMMU but the hypervisor lets bypass it.
import type { ConflictSink } from '../../conflict/sink.js';
import { describeTarget, targetEvidence, type AssignmentContext } from '../context.js';

export function iommuIgnoredByHypervisor(context: AssignmentContext, sink: ConflictSink): void {
  const { host, device, request } = context;
  if (!device.ignoredByHypervisor) return;
  sink.report('IOMMU_IGNORED_BY_HYPERVISOR', 'corruption', () => ({
    message: `${describeTarget(request, device.address)}: ${host.id}'s hypervisor ignores the IOMMU for ${device.address}, although the firmware tables put it behind one; its DMA is not translated, so guest addresses reach host memory unchecked.`,
    evidence: {
      hostId: host.id,
      device: device.address,
      groupId: device.group.id,
      target: targetEvidence(request),
      ignoreIommuFor: [...host.host.iommu.ignoreIommuFor],
    },
    fact: 'Woodhouse (VIRTIO_F_IOMMU_PASSTHROUGH thread): "the tables say this device is behind the IOMMU but the hypervisor ignores it" is a platform quirk that applies to virtio and assigned devices alike.',
    remedy: `Do not assign ${device.address} on ${host.id}; pick a device the IOMMU really translates.`,
  }));
}
