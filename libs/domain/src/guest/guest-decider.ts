import { sameFacts } from '../canonical.js';
import { DomainError } from '../errors.js';
import type { Guest, GuestDevice, GuestLibvirt, HotplugReservation } from '../fleet/guest-schema.js';
import { guestArchOf } from '../fleet/machine-type.js';
import { deriveMemoryMap } from '../memory-map/memory-map.js';
import type { GuestDefinedData, GuestDefinition, GuestEvent } from './guest-events.js';
import type { GuestState } from './guest-state.js';

export type GuestCommand =
  | { type: 'DefineGuest'; guest: Guest }
  /** Desired state from a fleet file: defines, or records only what differs. */
  | { type: 'ApplyGuest'; guest: Guest }
  | { type: 'AttachDevice'; device: GuestDevice }
  | { type: 'DetachDevice'; deviceId: string }
  | { type: 'SetDeviceIommuPolicy'; deviceId: string; iommuPlatform: boolean | null }
  | { type: 'AddHotplugReservation'; reservation: HotplugReservation }
  | { type: 'RemoveHotplugReservation'; reservationId: string }
  | { type: 'PlaceGuest'; hostId: string }
  | { type: 'RecordMigration'; fromHostId: string; toHostId: string; migrationId: string }
  | { type: 'RemoveGuest' }
  | { type: 'MapDomain'; libvirt: GuestLibvirt };

export function decideGuest(command: GuestCommand, state: GuestState | undefined): GuestEvent[] {
  switch (command.type) {
    case 'DefineGuest':
      if (state && !state.removed) {
        throw new DomainError(
          'already-exists',
          'GUEST_ALREADY_EXISTS',
          `guest "${command.guest.id}" is already defined`,
          [{ field: 'id', message: 'already defined' }],
        );
      }
      return defineFromScratch(command.guest);
    case 'ApplyGuest':
      if (!state || state.removed) return defineFromScratch(command.guest);
      return guestChanges(state, command.guest);
    case 'AttachDevice': {
      const current = live(state);
      if (current.devices.some((d) => d.id === command.device.id)) {
        throw new DomainError(
          'already-exists',
          'DEVICE_ALREADY_ATTACHED',
          `device "${command.device.id}" is already attached`,
          [{ field: 'id', message: 'already attached' }],
        );
      }
      return [{ type: 'DeviceAttached', data: { device: command.device } }];
    }
    case 'DetachDevice':
      requireDevice(live(state), command.deviceId);
      return [{ type: 'DeviceDetached', data: { deviceId: command.deviceId } }];
    case 'SetDeviceIommuPolicy': {
      const device = requireDevice(live(state), command.deviceId);
      if ((device.iommuPlatform ?? null) === command.iommuPlatform) return [];
      return [
        { type: 'DeviceIommuPolicySet', data: { deviceId: command.deviceId, iommuPlatform: command.iommuPlatform } },
      ];
    }
    case 'AddHotplugReservation': {
      const current = live(state);
      const [reservation] = withReservationIds([...current.hotplugReservations, command.reservation]).slice(-1);
      if (current.hotplugReservations.some((r) => r.id === reservation!.id)) {
        throw new DomainError(
          'already-exists',
          'RESERVATION_ALREADY_EXISTS',
          `reservation "${reservation!.id}" already exists`,
          [{ field: 'id', message: 'already exists' }],
        );
      }
      return [{ type: 'HotplugReservationAdded', data: { reservation: reservation! } }];
    }
    case 'RemoveHotplugReservation': {
      if (!live(state).hotplugReservations.some((r) => r.id === command.reservationId)) {
        throw new DomainError(
          'not-found',
          'RESERVATION_NOT_FOUND',
          `reservation "${command.reservationId}" does not exist`,
        );
      }
      return [{ type: 'HotplugReservationRemoved', data: { reservationId: command.reservationId } }];
    }
    case 'PlaceGuest': {
      const current = live(state);
      if (current.hostId === command.hostId) return [];
      return [{ type: 'GuestPlaced', data: { hostId: command.hostId, previousHostId: current.hostId } }];
    }
    case 'RecordMigration': {
      const current = live(state);
      if (current.hostId !== command.fromHostId) {
        throw new DomainError(
          'conflict',
          'GUEST_NOT_ON_SOURCE',
          `guest is on "${current.hostId}", not on "${command.fromHostId}"`,
        );
      }
      return [
        {
          type: 'GuestMigrated',
          data: { fromHostId: command.fromHostId, toHostId: command.toHostId, migrationId: command.migrationId },
        },
      ];
    }
    case 'RemoveGuest':
      live(state);
      return [{ type: 'GuestRemoved', data: {} }];
    case 'MapDomain':
      return domainMapping(live(state).libvirtDomain ?? null, command.libvirt);
  }
}

function live(state: GuestState | undefined): GuestState {
  if (!state || state.removed) throw new DomainError('not-found', 'GUEST_NOT_FOUND', 'guest does not exist');
  return state;
}

function requireDevice(state: GuestState, deviceId: string): GuestDevice {
  const device = state.devices.find((d) => d.id === deviceId);
  if (!device)
    throw new DomainError(
      'not-found',
      'DEVICE_NOT_FOUND',
      `device "${deviceId}" is not attached to guest "${state.id}"`,
    );
  return device;
}

const definitionOf = ({
  machine,
  arch,
  cpuVendor,
  memory,
  physBits,
  viommu,
  viommuAddressWidthBits,
}: Guest): GuestDefinition => ({
  machine,
  // Recorded only where it says more than the machine family (virt for riscv64 / loongarch64), so a
  // file that spells out the default arch is not a redefinition of a guest recorded without it.
  ...(arch && arch !== guestArchOf({ machine }) && { arch }),
  cpuVendor,
  memory,
  physBits,
  viommu,
  viommuAddressWidthBits,
});

function definedData(guest: Guest): GuestDefinedData {
  const definition = definitionOf(guest);
  return {
    guestId: guest.id,
    definition,
    guestOs: guest.guestOs,
    memoryMap: guest.memoryMap ?? deriveMemoryMap(definition),
    memoryMapSource: guest.memoryMap ? 'explicit' : 'derived',
  };
}

function defineFromScratch(guest: Guest): GuestEvent[] {
  return [
    { type: 'GuestDefined', data: definedData(guest) },
    ...(guest.migration ? [{ type: 'MigrationHintsSet', data: { migration: guest.migration } } as GuestEvent] : []),
    ...guest.devices.map((device): GuestEvent => ({ type: 'DeviceAttached', data: { device } })),
    ...withReservationIds(guest.hotplugReservations).map((reservation): GuestEvent => ({
      type: 'HotplugReservationAdded',
      data: { reservation },
    })),
    { type: 'GuestPlaced', data: { hostId: guest.host, previousHostId: null } },
    ...(guest.libvirt ? domainMapping(null, guest.libvirt) : []),
  ];
}

function domainMapping(current: GuestLibvirt | null, next: GuestLibvirt): GuestEvent[] {
  return sameFacts(current, next) ? [] : [{ type: 'GuestDomainMapped', data: { libvirt: next } }];
}

/**
 * Reservations without an id get a stable one from their kind and position (`vfio-network-1`),
 * skipping every id already taken, so the same list always gets the same ids and no two collide.
 */
export function withReservationIds(
  reservations: readonly HotplugReservation[],
): (HotplugReservation & { id: string })[] {
  const taken = new Set(reservations.flatMap((r) => (r.id ? [r.id] : [])));
  const next = new Map<string, number>();
  return reservations.map((reservation) => {
    if (reservation.id) return { ...reservation, id: reservation.id };
    const stem = [reservation.kind, reservation.deviceClass].filter(Boolean).join('-');
    let n = next.get(stem) ?? 1;
    while (taken.has(`${stem}-${n}`)) n++;
    next.set(stem, n + 1);
    taken.add(`${stem}-${n}`);
    return { ...reservation, id: `${stem}-${n}` };
  });
}

function guestChanges(state: GuestState, guest: Guest): GuestEvent[] {
  const events: GuestEvent[] = [];
  const next = definedData(guest);
  const layoutChanged =
    !sameFacts(state.definition, next.definition) ||
    (guest.memoryMap !== undefined && !sameFacts(state.memoryMap, next.memoryMap));
  if (layoutChanged) events.push({ type: 'GuestRedefined', data: next });
  else if (!sameFacts(state.guestOs, guest.guestOs))
    events.push({ type: 'GuestOsReported', data: { guestOs: guest.guestOs } });
  if (!sameFacts(state.migration, guest.migration ?? null))
    events.push({ type: 'MigrationHintsSet', data: { migration: guest.migration ?? null } });
  events.push(...deviceChanges(state.devices, guest.devices));
  events.push(...reservationChanges(state.hotplugReservations, withReservationIds(guest.hotplugReservations)));
  if (state.hostId !== guest.host)
    events.push({ type: 'GuestPlaced', data: { hostId: guest.host, previousHostId: state.hostId } });
  // A fleet file without `libvirt` leaves a mapping an agent recorded alone: only agents discover it.
  if (guest.libvirt) events.push(...domainMapping(state.libvirtDomain ?? null, guest.libvirt));
  return events;
}

function deviceChanges(current: GuestDevice[], next: GuestDevice[]): GuestEvent[] {
  const events: GuestEvent[] = [];
  const nextById = new Map(next.map((d) => [d.id, d]));
  for (const device of current) {
    const wanted = nextById.get(device.id);
    const onlyPolicyDiffers =
      wanted && sameFacts({ ...device, iommuPlatform: null }, { ...wanted, iommuPlatform: null });
    if (!wanted || !onlyPolicyDiffers) events.push({ type: 'DeviceDetached', data: { deviceId: device.id } });
    else if ((device.iommuPlatform ?? null) !== (wanted.iommuPlatform ?? null)) {
      events.push({
        type: 'DeviceIommuPolicySet',
        data: { deviceId: device.id, iommuPlatform: wanted.iommuPlatform ?? null },
      });
    }
  }
  const kept = new Set(
    current
      .filter((d) => !events.some((e) => e.type === 'DeviceDetached' && e.data.deviceId === d.id))
      .map((d) => d.id),
  );
  for (const device of next) if (!kept.has(device.id)) events.push({ type: 'DeviceAttached', data: { device } });
  return events;
}

function reservationChanges(
  current: GuestState['hotplugReservations'],
  next: GuestState['hotplugReservations'],
): GuestEvent[] {
  const events: GuestEvent[] = [];
  const nextById = new Map(next.map((r) => [r.id, r]));
  const currentById = new Map(current.map((r) => [r.id, r]));
  for (const reservation of current) {
    const wanted = nextById.get(reservation.id);
    if (!wanted || !sameFacts(wanted, reservation))
      events.push({ type: 'HotplugReservationRemoved', data: { reservationId: reservation.id } });
  }
  for (const reservation of next) {
    const existing = currentById.get(reservation.id);
    if (!existing || !sameFacts(existing, reservation))
      events.push({ type: 'HotplugReservationAdded', data: { reservation } });
  }
  return events;
}
