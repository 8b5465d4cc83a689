// docs/domain.md#iommu-groups: all devices of a group go to one VM ("group %d used in multiple address spaces").
import type { ConflictSink } from '../../conflict/sink.js';
import { describeTarget, targetEvidence, type AssignmentContext } from '../context.js';

export function groupSplitAcrossGuests(context: AssignmentContext, sink: ConflictSink): void {
  const { guest, host, device, request, occupancy } = context;
  if (occupancy.holdsNoDevices) return;
  let holders: { address: string; guests: string[] }[] | undefined;
  for (const member of device.group.devices) {
    const owners = occupancy.ownersOf(member.address);
    if (!owners) continue;
    const others = owners.filter((id) => id !== guest.id);
    if (others.length > 0) (holders ??= []).push({ address: member.address, guests: others });
  }
  if (!holders) return;
  const found = holders;
  sink.report('GROUP_SPLIT_ACROSS_GUESTS', 'error', () => ({
    message: `IOMMU group ${device.group.id} on ${host.id} (${describeTarget(request, device.address)}) is already in use by ${found.map((h) => `guest ${h.guests.join(', ')} (${h.address})`).join('; ')}: a group cannot be split between VMs.`,
    evidence: {
      hostId: host.id,
      groupId: device.group.id,
      device: device.address,
      target: targetEvidence(request),
      heldBy: found.map((h) => ({ address: h.address, guests: h.guests })),
    },
    fact: 'A VFIO group can be attached to one container (one VM) only; QEMU fails with "group N used in multiple address spaces".',
    remedy: `Assign a device from a group no other guest uses, or move ${found.flatMap((h) => h.guests).join(', ')} off the group first.`,
  }));
}
