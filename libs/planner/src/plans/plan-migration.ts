// Dry-run a live migration including everything the guest may hot-plug afterwards (docs/domain.md#migrate-then-hotplug): QEMU
// never checks the destination's IOMMU at migration time, so this is the last point to catch it.
import { DomainError } from '@ferry/domain';
import { ConflictCollector } from '../conflict/sink.js';
import {
  evaluateMigrationDestination,
  evaluateMigrationGuest,
  type MigrationOptions,
} from '../evaluate/evaluate-migration.js';
import { HostOccupancy, isLive } from '../prepare/occupancy.js';
import { prepareGuest } from '../prepare/prepared-guest.js';
import { prepareHost } from '../prepare/prepared-host.js';
import {
  guestRef,
  hostRef,
  machineDefaultsRef,
  requireGuest,
  requireHost,
  type FleetSnapshot,
  type StreamRef,
} from './fleet-snapshot.js';
import { answer, type PlanAnswer } from './plan-answer.js';

export interface MigrationInputs {
  guest: StreamRef;
  host: StreamRef;
  /** The host the guest runs on now (null when it is not placed). */
  source: StreamRef | null;
  machineDefaults: { version: number | null };
  options: { postcopy: boolean };
}

export type MigrationPlan = PlanAnswer<MigrationInputs>;

export function planMigration(
  fleet: FleetSnapshot,
  guestId: string,
  destinationHostId: string,
  options: MigrationOptions = {},
): MigrationPlan {
  const guestState = requireGuest(fleet, guestId);
  const destination = requireHost(fleet, destinationHostId, 'destinationHostId');
  if (guestState.hostId === destinationHostId) {
    throw new DomainError(
      'invalid',
      'MIGRATION_TO_CURRENT_HOST',
      `guest "${guestId}" already runs on "${destinationHostId}"`,
      [{ field: 'destinationHostId', message: "is the guest's current host" }],
    );
  }
  const sourceState = guestState.hostId === null ? undefined : fleet.hosts.get(guestState.hostId);
  const collector = new ConflictCollector();
  const guest = prepareGuest(guestState);
  evaluateMigrationGuest(guest, sourceState && prepareHost(sourceState), fleet.machineDefaults, options, collector);
  evaluateMigrationDestination(guest, prepareHost(destination), occupancyOf(fleet, destinationHostId), collector);
  return answer(collector.conflicts, {
    guest: guestRef(fleet, guestId),
    host: hostRef(fleet, destinationHostId),
    source: sourceState ? hostRef(fleet, sourceState.host.id) : null,
    machineDefaults: machineDefaultsRef(fleet),
    options: { postcopy: options.postcopy ?? false },
  });
}

export function occupancyOf(fleet: FleetSnapshot, hostId: string): HostOccupancy {
  const occupancy = new HostOccupancy();
  for (const guest of fleet.guests.values()) if (isLive(guest) && guest.hostId === hostId) occupancy.add(guest);
  return occupancy;
}
