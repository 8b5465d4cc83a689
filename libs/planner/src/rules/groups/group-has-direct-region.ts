// docs/domain.md#region-types: a group with a `direct` (1:1, RMRR/IVMD/RMR) region cannot be given to VFIO.
import { formatRange } from '@ferry/domain';
import { hexRange } from '../../conflict/conflict.js';
import type { ConflictSink } from '../../conflict/sink.js';
import { describeTarget, targetEvidence, type AssignmentContext } from '../context.js';

export function groupHasDirectRegion(context: AssignmentContext, sink: ConflictSink): void {
  const { host, device, request } = context;
  const direct = device.group.directRegions;
  if (direct.length === 0) return;
  // ~6.6 ("iommu: Prevent RESV_DIRECT devices from blocking domains") refuses on every vendor; VT-d refused earlier.
  const refuses = host.refusesDirectRegions;
  // A message names a few regions; the evidence lists them all (a firmware table can hold thousands).
  const listed =
    direct.length > 8
      ? `${direct.slice(0, 8).map(formatRange).join(', ')} and ${direct.length - 8} more`
      : direct.map(formatRange).join(', ');
  sink.report('GROUP_HAS_DIRECT_REGION', refuses ? 'error' : 'warning', () => ({
    message: refuses
      ? `IOMMU group ${device.group.id} on ${host.id} (${describeTarget(request, device.address)}) has direct-mapped region(s) ${listed}: the kernel refuses to attach it to VFIO ("Firmware has requested this device have a 1:1 IOMMU mapping, rejecting…"; QEMU: "Failed to set group container").`
      : `IOMMU group ${device.group.id} on ${host.id} (${describeTarget(request, device.address)}) has direct-mapped region(s) ${listed}: kernel ${host.host.kernel} on ${host.host.iommu.model} still attaches it, but kernels ≥ 6.6 refuse it, and the region stays forbidden IOVA.`,
    evidence: {
      hostId: host.id,
      groupId: device.group.id,
      device: device.address,
      target: targetEvidence(request),
      directRegions: direct.map((r) => ({ ...hexRange(r), type: r.type })),
      kernel: host.host.kernel,
      iommuModel: host.host.iommu.model,
    },
    fact: 'IOMMU_RESV_DIRECT regions (Intel RMRR, AMD IVMD unity, Arm IORT RMR) must stay mapped 1:1; since ~6.6 every vendor, and Intel VT-d before, refuses such devices to VFIO/iommufd.',
    remedy:
      'Pick another device/host for this assignment; a direct region comes from firmware (DMAR/IVRS/IORT) and only a firmware change removes it.',
  }));
}
