import type {
  GuestDevice,
  GuestLibvirt,
  GuestOs,
  HotplugReservation,
  MemoryMapEntry,
  MigrationHints,
} from '../fleet/guest-schema.js';
import type { GuestDefinition, GuestEvent } from './guest-events.js';

export interface GuestState {
  id: string;
  hostId: string | null;
  definition: GuestDefinition;
  guestOs: GuestOs;
  memoryMap: MemoryMapEntry[];
  memoryMapSource: 'derived' | 'explicit';
  devices: GuestDevice[];
  hotplugReservations: (HotplugReservation & { id: string })[];
  migration: MigrationHints | null;
  removed: boolean;
  /** The libvirt domain this guest is, once mapped (absent in states built before the mapping existed). */
  libvirtDomain?: GuestLibvirt | null;
}

export function evolveGuest(state: GuestState | undefined, event: GuestEvent): GuestState | undefined {
  if (event.type === 'GuestDefined') {
    const { guestId, definition, guestOs, memoryMap, memoryMapSource } = event.data;
    return {
      id: guestId,
      hostId: null,
      definition,
      guestOs,
      memoryMap,
      memoryMapSource,
      devices: [],
      hotplugReservations: [],
      migration: null,
      removed: false,
      libvirtDomain: null,
    };
  }
  if (!state) return state;
  switch (event.type) {
    case 'GuestRedefined': {
      const { definition, guestOs, memoryMap, memoryMapSource } = event.data;
      return { ...state, definition, guestOs, memoryMap, memoryMapSource };
    }
    case 'GuestOsReported':
      return { ...state, guestOs: event.data.guestOs };
    case 'MigrationHintsSet':
      return { ...state, migration: event.data.migration };
    case 'DeviceAttached':
      return { ...state, devices: [...state.devices, event.data.device] };
    case 'DeviceDetached':
      return { ...state, devices: state.devices.filter((d) => d.id !== event.data.deviceId) };
    case 'DeviceIommuPolicySet': {
      const { deviceId, iommuPlatform } = event.data;
      return {
        ...state,
        devices: state.devices.map((d) =>
          d.id === deviceId ? { ...d, iommuPlatform: iommuPlatform ?? undefined } : d,
        ),
      };
    }
    case 'HotplugReservationAdded':
      return { ...state, hotplugReservations: [...state.hotplugReservations, event.data.reservation] };
    case 'HotplugReservationRemoved':
      return {
        ...state,
        hotplugReservations: state.hotplugReservations.filter((r) => r.id !== event.data.reservationId),
      };
    case 'GuestPlaced':
      return { ...state, hostId: event.data.hostId };
    case 'GuestMigrated':
      return { ...state, hostId: event.data.toHostId };
    case 'GuestRemoved':
      return { ...state, removed: true };
    case 'GuestDomainMapped':
      return { ...state, libvirtDomain: event.data.libvirt };
    default:
      return exhaustive(event);
  }
}

function exhaustive(event: never): never {
  throw new Error(`unhandled guest event ${(event as { type: string }).type}`);
}
