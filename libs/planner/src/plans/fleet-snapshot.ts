// The planner's input: the fleet as the projections hold it, plus the stream versions it was read at,
// which every plan echoes so the API can refuse to act on a plan whose inputs have since changed.
import { DomainError, notFound, type GuestState, type HostState, type MachineDefault } from '@ferry/domain';

export interface StreamVersions {
  hosts?: ReadonlyMap<string, number>;
  guests?: ReadonlyMap<string, number>;
  machineDefaults?: number;
}

export interface FleetSnapshot {
  hosts: ReadonlyMap<string, HostState>;
  guests: ReadonlyMap<string, GuestState>;
  machineDefaults: readonly MachineDefault[];
  versions?: StreamVersions;
}

/** A stream the plan read: `host-<id>` or `guest-<id>` at a version (null when the caller gave none). */
export interface StreamRef {
  id: string;
  version: number | null;
}

export const hostRef = (fleet: FleetSnapshot, id: string): StreamRef => ({
  id,
  version: fleet.versions?.hosts?.get(id) ?? null,
});
export const guestRef = (fleet: FleetSnapshot, id: string): StreamRef => ({
  id,
  version: fleet.versions?.guests?.get(id) ?? null,
});
export const machineDefaultsRef = (fleet: FleetSnapshot) => ({ version: fleet.versions?.machineDefaults ?? null });

export function requireGuest(fleet: FleetSnapshot, id: string): GuestState {
  const guest = fleet.guests.get(id);
  if (!guest || guest.removed) throw notFound('guest', id, 'guestId');
  return guest;
}

export function requireHost(fleet: FleetSnapshot, id: string, field = 'hostId'): HostState {
  const host = fleet.hosts.get(id);
  if (!host) throw notFound('host', id, field);
  return host;
}

/** The host the guest runs on; hot-plug needs one. */
export function requirePlacement(fleet: FleetSnapshot, guest: GuestState): HostState {
  const host = guest.hostId === null ? undefined : fleet.hosts.get(guest.hostId);
  if (!host || host.decommissioned) {
    throw new DomainError(
      'precondition-failed',
      'GUEST_NOT_PLACED',
      `guest "${guest.id}" does not run on a known host`,
      [{ field: 'guestId', message: 'not placed on a live host' }],
    );
  }
  return host;
}
