import { z } from 'zod';
import { addressRange } from './fleet/primitives.js';
import {
  guestDefinitionSchema,
  guestDeviceSchema,
  guestOsSchema,
  hotplugReservationSchema,
  memoryMapEntrySchema,
  migrationHintsSchema,
} from './fleet/guest-schema.js';
import {
  hostAttributesSchema,
  hostIommuSchema,
  hostSchema,
  iommuGroupSchema,
  reservedRegionSchema,
  spaprSchema,
} from './fleet/host-schema.js';
import { machineDefaultSchema } from './fleet/fleet-file-schema.js';
import type { DomainEvent } from './events.js';

// Stored event data is JSON: bigints become "0x…" strings on the way in, and each event type's
// schema turns them back into bigints on the way out. Schemas are the single source of both.

export function toJsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return `0x${value.toString(16)}`;
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) if (inner !== undefined) out[key] = toJsonSafe(inner);
    return out;
  }
  return value;
}

const definedSchema = z.object({
  guestId: z.string(),
  definition: guestDefinitionSchema,
  guestOs: guestOsSchema,
  memoryMap: z.array(memoryMapEntrySchema),
  memoryMapSource: z.enum(['derived', 'explicit']),
});

const schemas: Record<string, z.ZodType> = {
  HostRegistered: z.object({ host: hostSchema }),
  HostAttributesChanged: z.object({ attributes: hostAttributesSchema }),
  HostIommuReported: z.object({ iommu: hostIommuSchema }),
  IommuGroupsReported: z.object({ groups: z.array(iommuGroupSchema) }),
  ReservedRegionsReported: z.object({ groupId: z.int(), reservedRegions: z.array(reservedRegionSchema) }),
  BridgeWindowsReported: z.object({ bridgeWindows: z.array(addressRange) }),
  SpaprWindowsReported: z.object({ spapr: spaprSchema.nullable() }),
  GuestDefined: definedSchema,
  GuestRedefined: definedSchema,
  GuestOsReported: z.object({ guestOs: guestOsSchema }),
  MigrationHintsSet: z.object({ migration: migrationHintsSchema.nullable() }),
  DeviceAttached: z.object({ device: guestDeviceSchema }),
  HotplugReservationAdded: z.object({ reservation: hotplugReservationSchema }),
  MachineDefaultsSet: z.object({ defaults: z.array(machineDefaultSchema) }),
};

/** Registers the schema of an event type whose data holds bigints (types without one are plain JSON). */
export function registerEventSchema(type: string, schema: z.ZodType): void {
  schemas[type] = schema;
}

export function decodeEvent<E extends DomainEvent>(type: string, data: unknown): E {
  const schema = schemas[type];
  return { type, data: schema ? schema.parse(data) : data } as E;
}

export function encodeEventData(event: DomainEvent): unknown {
  return toJsonSafe(event.data);
}
