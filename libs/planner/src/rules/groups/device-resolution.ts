// docs/domain.md#migrate-then-hotplug, #iommu-groups: before any group rule, the request must name a device the host has.
import type { ConflictSink } from '../../conflict/sink.js';
import type { PreparedHost } from '../../prepare/prepared-host.js';
import { describeTarget, targetEvidence } from '../context.js';
import type { TargetRequest } from '../../prepare/target-request.js';

export function hostDeviceNotFound(host: PreparedHost, request: TargetRequest, sink: ConflictSink): void {
  sink.report('HOST_DEVICE_NOT_FOUND', 'error', () => ({
    message: `${describeTarget(request)} names PCI device ${request.hostDevice}, which ${host.id} does not have.`,
    evidence: {
      hostId: host.id,
      device: request.hostDevice!,
      target: targetEvidence(request),
      hostDevices: host.allDevices.length,
    },
    fact: 'A vfio/vdpa device is a host PCI function in an IOMMU group; QEMU cannot realize it on a host without that function.',
    remedy: `Choose a host that has ${request.hostDevice}, or change the ${request.origin === 'reservation' ? 'reservation to a device class' : 'device to one the host has'}.`,
  }));
}

/** `claimed`: devices of the right class this guest already takes for its other devices and reservations. */
export function noMatchingDevice(
  host: PreparedHost,
  request: TargetRequest,
  claimed: number,
  sink: ConflictSink,
): void {
  const wanted = request.deviceClass ? `${request.deviceClass} device` : 'assignable device';
  sink.report('NO_MATCHING_DEVICE_FOR_RESERVATION', 'error', () => ({
    message:
      claimed > 0
        ? `${describeTarget(request)}: every ${wanted} on ${host.id} (${claimed}) is already taken by this guest's other devices or reservations.`
        : `${describeTarget(request)}: ${host.id} has no ${wanted}.`,
    evidence: {
      hostId: host.id,
      target: targetEvidence(request),
      deviceClass: request.deviceClass ?? null,
      alreadyClaimedByGuest: claimed,
    },
    fact: 'A hot-plug reservation stays possible only if the host has a free device of that class to assign.',
    remedy: `Choose a host with a free ${wanted}, or drop the reservation.`,
  }));
}
