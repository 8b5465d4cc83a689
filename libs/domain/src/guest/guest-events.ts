import type { DomainEvent } from '../events.js';
import type {
  Guest,
  GuestDevice,
  GuestOs,
  GuestLibvirt,
  HotplugReservation,
  MemoryMapEntry,
  MigrationHints,
} from '../fleet/guest-schema.js';

/** What fixes the guest-physical layout; changing any of it means a cold restart (GuestRedefined). */
export type GuestDefinition = Pick<
  Guest,
  'machine' | 'arch' | 'cpuVendor' | 'memory' | 'physBits' | 'viommu' | 'viommuAddressWidthBits'
>;

export interface GuestDefinedData {
  guestId: string;
  definition: GuestDefinition;
  guestOs: GuestOs;
  /** The layout as built on the first host; every later host inherits it unchanged (docs/domain.md#migrate-then-hotplug). */
  memoryMap: MemoryMapEntry[];
  memoryMapSource: 'derived' | 'explicit';
}

export type GuestEvent =
  | DomainEvent<'GuestDefined', GuestDefinedData>
  | DomainEvent<'GuestRedefined', GuestDefinedData>
  | DomainEvent<'GuestOsReported', { guestOs: GuestOs }>
  | DomainEvent<'MigrationHintsSet', { migration: MigrationHints | null }>
  | DomainEvent<'DeviceAttached', { device: GuestDevice }>
  | DomainEvent<'DeviceDetached', { deviceId: string }>
  | DomainEvent<'DeviceIommuPolicySet', { deviceId: string; iommuPlatform: boolean | null }>
  | DomainEvent<'HotplugReservationAdded', { reservation: HotplugReservation & { id: string } }>
  | DomainEvent<'HotplugReservationRemoved', { reservationId: string }>
  | DomainEvent<'GuestPlaced', { hostId: string; previousHostId: string | null }>
  | DomainEvent<'GuestMigrated', { fromHostId: string; toHostId: string; migrationId: string }>
  | DomainEvent<'GuestRemoved', Record<string, never>>
  /** The guest is this libvirt domain (by UUID; the name is a label and may change). */
  | DomainEvent<'GuestDomainMapped', { libvirt: GuestLibvirt }>;

export type GuestEventType = GuestEvent['type'];
