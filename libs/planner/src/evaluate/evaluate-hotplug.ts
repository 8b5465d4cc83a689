// A hot-plug happens on the host the guest runs on now, against the GPA map it was defined with (docs/domain.md#migrate-then-hotplug).
import type { GuestDevice, HotplugReservation, MachineDefault } from '@ferry/domain';
import type { ConflictSink } from '../conflict/sink.js';
import type { HostOccupancy } from '../prepare/occupancy.js';
import { isAssignedKind, isVirtioKind, type PreparedGuest } from '../prepare/prepared-guest.js';
import type { PreparedHost } from '../prepare/prepared-host.js';
import type { DestinationContext, GuestContext } from '../rules/context.js';
import type { TargetRequest } from '../prepare/target-request.js';
import { assignTargets } from './assign-targets.js';
import { runGuestRules, runHostAssignmentRules, runVirtioRules } from './rule-sets.js';

/** A device to hot-plug: GuestDevice-shaped (`{id, kind, hostDevice?, iommuPlatform?}`) or reservation-shaped (`{kind, deviceClass?}`). */
export interface HotplugDevice {
  id?: string;
  kind: HotplugReservation['kind'];
  hostDevice?: string;
  deviceClass?: HotplugReservation['deviceClass'];
  iommuPlatform?: boolean;
  transitional?: boolean;
  size?: bigint;
}

export function hotplugDeviceId(device: HotplugDevice): string {
  return device.id ?? [device.kind, device.deviceClass ?? device.hostDevice].filter(Boolean).join('-');
}

export function evaluateHotplug(
  guest: PreparedGuest,
  host: PreparedHost,
  occupancy: HostOccupancy,
  machineDefaults: readonly MachineDefault[],
  device: HotplugDevice,
  sink: ConflictSink,
): void {
  const id = hotplugDeviceId(device);
  if (isVirtioKind(device.kind)) {
    const virtio = {
      id,
      kind: device.kind as GuestDevice['kind'],
      iommuPlatform: device.iommuPlatform,
      transitional: device.transitional ?? false,
    };
    runVirtioRules({ guest, device: virtio, machineDefaults }, sink);
    return;
  }
  const guestContext: GuestContext = {
    guest,
    machineDefaults,
    mode: 'hotplug',
    postcopy: false,
    source: host,
    hotplug: { id, kind: device.kind },
  };
  runGuestRules(guestContext, sink);

  const held = guest.assignedDevices.map((d) => d.hostDevice!);
  let requests: TargetRequest[];
  let preClaimed: readonly string[];
  if (isAssignedKind(device.kind)) {
    requests = [
      {
        origin: 'hotplug',
        id,
        kind: device.kind as 'vfio' | 'vdpa',
        hostDevice: device.hostDevice,
        deviceClass: device.deviceClass,
      },
    ];
    preClaimed = held;
  } else {
    // Memory hot-plug: RAM lands in device memory, already mapped for the groups the guest holds;
    // a forbidden range there kills the VM (hw_error), so re-check those groups.
    requests = guest.assignedDevices.map((d) => ({
      origin: 'device',
      id: d.id,
      kind: d.kind as 'vfio' | 'vdpa',
      hostDevice: d.hostDevice,
      deviceClass: undefined,
    }));
    preClaimed = [];
  }
  const context: DestinationContext = {
    guest,
    host,
    occupancy,
    mode: 'hotplug',
    assigns: requests.length > 0,
    assignsVfio: requests.some((r) => r.kind === 'vfio'),
  };
  if (!context.assigns) return;
  runHostAssignmentRules(context, sink);
  assignTargets(context, requests, preClaimed, sink);
}
