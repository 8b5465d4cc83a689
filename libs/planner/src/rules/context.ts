// What a rule sees. Rules are small functions `(context, sink) => void`; the evaluators decide which
// rules apply where (guest-wide, per destination host, per assigned device).
import type { GuestDevice, MachineDefault } from '@ferry/domain';
import type { HostOccupancy } from '../prepare/occupancy.js';
import type { PreparedGuest } from '../prepare/prepared-guest.js';
import type { TargetRequest } from '../prepare/target-request.js';
import type { PreparedDevice, PreparedHost } from '../prepare/prepared-host.js';
import type { ConflictSink } from '../conflict/sink.js';

/** `migration`: the guest moves to the host. `hotplug`: a device is added on the host the guest runs on. */
export type PlanMode = 'migration' | 'hotplug';

/** Facts about the guest alone (and, for migration, its source host): the same for every destination. */
export interface GuestContext {
  guest: PreparedGuest;
  machineDefaults: readonly MachineDefault[];
  mode: PlanMode;
  postcopy: boolean;
  /** Where the guest runs now, when the fleet knows it. */
  source: PreparedHost | undefined;
  /** In hotplug mode: the device being added. */
  hotplug: { id: string; kind: string } | undefined;
}

/** The vfio devices a plan is about: the guest's own and reserved ones (migration) or the new one (hotplug). */
export function vfioInPlay(context: GuestContext): number {
  if (context.mode === 'hotplug') return context.hotplug?.kind === 'vfio' ? 1 : 0;
  return context.guest.vfioDevices.length + context.guest.assignedReservations.filter((r) => r.kind === 'vfio').length;
}

/** A guest on (or moving to) one host. */
export interface DestinationContext {
  guest: PreparedGuest;
  host: PreparedHost;
  /** What the other guests on the host already take. */
  occupancy: HostOccupancy;
  mode: PlanMode;
  /** Some request needs a host device behind the host IOMMU (vfio/vdpa). */
  assigns: boolean;
  /** Some request is a vfio device (vdpa goes through vhost-vdpa, not a VFIO container). */
  assignsVfio: boolean;
}

/** A request resolved to one host device (and so one IOMMU group). */
export interface AssignmentContext extends DestinationContext {
  request: TargetRequest;
  device: PreparedDevice;
}

/** One emulated virtio device (or a virtio reservation) of a guest. */
export interface VirtioContext {
  guest: PreparedGuest;
  device: Pick<GuestDevice, 'id' | 'kind' | 'iommuPlatform' | 'transitional'>;
  machineDefaults: readonly MachineDefault[];
}

export type Rule<Context> = (context: Context, sink: ConflictSink) => void;

/** "reservation 'nic' (network) → 0000:81:00.0": how messages name the device a conflict is about. */
export function describeTarget(request: TargetRequest, address?: string): string {
  const what =
    request.origin === 'device'
      ? `${request.kind} device '${request.id}'`
      : request.origin === 'reservation'
        ? `hot-plug reservation '${request.id}'${request.deviceClass ? ` (${request.deviceClass})` : ''}`
        : `hot-plugged ${request.kind} device '${request.id}'`;
  return address ? `${what} → ${address}` : what;
}

export const targetEvidence = (request: TargetRequest) => ({
  origin: request.origin,
  id: request.id,
  kind: request.kind,
});
