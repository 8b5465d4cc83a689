// A migration is checked in two parts: what depends on the guest alone (and its source host), the
// same for every destination, and what depends on the destination. The fleet matrix stores the first
// once per guest row and the second per cell; planMigration runs both.
import type { MachineDefault } from '@ferry/domain';
import type { ConflictSink } from '../conflict/sink.js';
import type { HostOccupancy } from '../prepare/occupancy.js';
import type { GuestReservation, PreparedGuest } from '../prepare/prepared-guest.js';
import { isVirtioKind } from '../prepare/prepared-guest.js';
import type { PreparedHost } from '../prepare/prepared-host.js';
import type { DestinationContext, VirtioContext } from '../rules/context.js';
import { assignTargets } from './assign-targets.js';
import { hostIommuApplies, runGuestRules, runMeasuredRules, runProfileRules, runVirtioRules } from './rule-sets.js';

export interface MigrationOptions {
  /** Plan a postcopy migration (never with VFIO devices, docs/domain.md#vfio-migration). */
  postcopy?: boolean;
}

/** Destination-independent findings: virtio devices and reservations, vIOMMU, source-side VFIO blockers. */
export function evaluateMigrationGuest(
  guest: PreparedGuest,
  source: PreparedHost | undefined,
  machineDefaults: readonly MachineDefault[],
  options: MigrationOptions,
  sink: ConflictSink,
): void {
  const virtioDevices: VirtioContext['device'][] = [
    ...guest.virtioDevices,
    // A virtio reservation is a device the guest may get later: the same matrix applies to it.
    ...guest.state.hotplugReservations.filter((r) => isVirtioKind(r.kind)).map(reservedVirtioDevice),
  ];
  for (const device of virtioDevices) {
    runVirtioRules({ guest, device, machineDefaults }, sink);
  }
  const context = {
    guest,
    machineDefaults,
    mode: 'migration' as const,
    postcopy: options.postcopy ?? false,
    source,
    hotplug: undefined,
  };
  runGuestRules(context, sink);
}

/** Destination-dependent findings: compatibility, the destination IOMMU, every current and reserved device. */
export function evaluateMigrationDestination(
  guest: PreparedGuest,
  host: PreparedHost,
  occupancy: HostOccupancy,
  sink: ConflictSink,
): void {
  const context = destinationContext(guest, host, occupancy);
  runProfileRules(context, sink);
  runMeasuredRules(context, sink);
  if (hostIommuApplies(context)) assignTargets(context, guest.migrationRequests, [], sink);
}

export function destinationContext(
  guest: PreparedGuest,
  host: PreparedHost,
  occupancy: HostOccupancy,
): DestinationContext {
  return {
    guest,
    host,
    occupancy,
    mode: 'migration',
    assigns: guest.migrationRequests.length > 0,
    assignsVfio: guest.migrationAssignsVfio,
  };
}

export const reservedVirtioDevice = (reservation: GuestReservation): VirtioContext['device'] => ({
  id: reservation.id,
  kind: reservation.kind as VirtioContext['device']['kind'],
  iommuPlatform: undefined,
  transitional: false,
});
