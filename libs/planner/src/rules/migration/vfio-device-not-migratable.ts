// docs/domain.md#vfio-migration: a VFIO device without a migration driver (v2 protocol) adds a migration blocker.
import type { ConflictSink } from '../../conflict/sink.js';
import { describeTarget, targetEvidence, type AssignmentContext, type GuestContext } from '../context.js';

const fact =
  'enable-migration=auto needs a VFIO migration driver (STOP_COPY plus dirty tracking); without it QEMU adds "Migration is disabled for VFIO device" (mainline drivers: mlx5, hisi_acc, pds, virtio, qat, xe).';

/** The source side: the guest's devices on the host it runs on now. */
export function sourceDeviceNotMigratable(context: GuestContext, sink: ConflictSink): void {
  const { guest, source, mode } = context;
  if (mode !== 'migration' || !source) return;
  for (const device of guest.vfioDevices) {
    const facts = source.deviceByAddress.get(device.hostDevice!)?.facts;
    if (!facts || facts.migratable) continue;
    sink.report('VFIO_DEVICE_NOT_MIGRATABLE', 'error', () => ({
      message: `vfio device '${device.id}' (${device.hostDevice} on ${source.id}, the source) has no VFIO migration driver: QEMU blocks the migration ("Migration is disabled for VFIO device").`,
      evidence: {
        side: 'source',
        hostId: source.id,
        device: device.hostDevice!,
        guestDevice: device.id,
        vendor: facts.vendor ?? null,
        deviceId: facts.device ?? null,
        driver: facts.driver,
      },
      fact,
      remedy: `Hot-unplug '${device.id}' before migrating and re-add a device on the destination, or use a device with a migration driver.`,
    }));
    if (!sink.detailed) return;
  }
}

/** The destination side: the device that takes the guest's device over must resume its state. */
export function destinationDeviceNotMigratable(context: AssignmentContext, sink: ConflictSink): void {
  const { host, device, request, mode } = context;
  if (request.kind !== 'vfio' || device.facts.migratable) return;
  if (mode === 'migration' && request.origin === 'device') {
    sink.report('VFIO_DEVICE_NOT_MIGRATABLE', 'error', () => ({
      message: `${describeTarget(request, device.address)} on ${host.id} (the destination) has no VFIO migration driver: it cannot resume the device state.`,
      evidence: {
        side: 'destination',
        hostId: host.id,
        device: device.address,
        target: targetEvidence(request),
        driver: device.facts.driver,
      },
      fact,
      remedy: `Choose a destination whose ${device.address} has a VFIO migration driver, or hot-unplug the device before migrating.`,
    }));
  } else if (mode === 'hotplug' && request.origin === 'hotplug') {
    sink.report('VFIO_DEVICE_NOT_MIGRATABLE', 'warning', () => ({
      message: `${describeTarget(request, device.address)} on ${host.id} has no VFIO migration driver: after this hot-plug the guest cannot live-migrate until it is removed.`,
      evidence: {
        side: 'hotplug',
        hostId: host.id,
        device: device.address,
        target: targetEvidence(request),
        driver: device.facts.driver,
      },
      fact,
      remedy: 'Prefer a device with a VFIO migration driver if the guest must stay migratable.',
    }));
  }
}
