// docs/domain.md#iommu-groups: a group is viable only when every member is bound to vfio, pci-stub or no driver.
import type { ConflictSink } from '../../conflict/sink.js';
import { describeTarget, targetEvidence, type AssignmentContext } from '../context.js';

// The device being assigned is rebound by the management layer (libvirt managed mode); its group
// siblings are not, so only they decide viability here.
export function groupNotViable(context: AssignmentContext, sink: ConflictSink): void {
  const { host, device, request } = context;
  const siblings = device.nativeSiblings;
  if (siblings.length === 0) return;
  sink.report('GROUP_NOT_VIABLE', 'error', () => ({
    message: `IOMMU group ${device.group.id} on ${host.id} (${describeTarget(request, device.address)}) is not viable: ${siblings.map((d) => `${d.address} is bound to ${d.driver}`).join(', ')}. QEMU fails with "group ${device.group.id} is not viable".`,
    evidence: {
      hostId: host.id,
      groupId: device.group.id,
      device: device.address,
      target: targetEvidence(request),
      boundToNativeDriver: siblings.map((d) => ({ address: d.address, driver: d.driver })),
    },
    fact: 'The IOMMU group is the unit of ownership: VFIO opens it only when every member is bound to a VFIO driver, pci-stub or no driver (Documentation/driver-api/vfio.rst).',
    remedy: `Unbind ${siblings.map((d) => d.address).join(', ')} from ${[...new Set(siblings.map((d) => d.driver))].join('/')} and bind to vfio-pci (or pci-stub) on ${host.id}, or assign a device from another group.`,
  }));
}
