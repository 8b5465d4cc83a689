// docs/domain.md#virtio-qemu, #virtio-matrix: a device offering ACCESS_PLATFORM to a driver that cannot acknowledge it is unusable (FEATURES_OK refused).
import type { ConflictSink } from '../../conflict/sink.js';
import type { VirtioContext } from '../context.js';
import { effectivePlatform, platformEvidence } from './effective-platform.js';

export function virtioDriverNoAccessPlatform(context: VirtioContext, sink: ConflictSink): void {
  const { guest } = context;
  const guestOs = guest.state.guestOs;
  if (guestOs.acksAccessPlatform) return;
  // s390x ccw revision-0 drivers cannot see bit 33 and QEMU skips the check — except for PV guests (docs/domain.md#virtio-matrix).
  if (guest.machine.family === 's390-ccw-virtio' && guestOs.confidential !== 's390-pv') return;
  const platform = effectivePlatform(context);
  if (!platform.value) return;
  sink.report('VIRTIO_DRIVER_NO_ACCESS_PLATFORM', 'error', () => ({
    message: `virtio device '${context.device.id}' offers VIRTIO_F_ACCESS_PLATFORM (${platform.source}${platform.rule ? ` ${platform.rule}` : ''}), but the guest's driver does not acknowledge it: virtio_validate_features refuses FEATURES_OK and the device is unusable (a clean failure).`,
    evidence: { ...platformEvidence(context, platform), driverAcksAccessPlatform: false },
    fact: 'QEMU refuses FEATURES_OK (-EFAULT) when bit 33 is offered and a VERSION_1 driver does not acknowledge it (Tsirkin, 2020).',
    remedy: `Update the guest's virtio drivers, or set iommuPlatform: false on '${context.device.id}' if the guest has no vIOMMU and is not a confidential guest.`,
  }));
}
