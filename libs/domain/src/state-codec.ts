import { z } from 'zod';
import { hostSchema } from './fleet/host-schema.js';
import { guestDefinitionSchema, guestDeviceSchema, guestOsSchema, hotplugReservationSchema, memoryMapEntrySchema, migrationHintsSchema } from './fleet/guest-schema.js';
import type { GuestState } from './guest/guest-state.js';
import type { HostState } from './host/host-decider.js';

// Read models keep folded state as JSON (toJsonSafe); these schemas bring the bigints back.

const hostStateSchema = z.object({
  host: hostSchema,
  cordoned: z.object({ reason: z.string() }).nullable(),
  decommissioned: z.boolean(),
});

const guestStateSchema = z.object({
  id: z.string(),
  hostId: z.string().nullable(),
  definition: guestDefinitionSchema,
  guestOs: guestOsSchema,
  memoryMap: z.array(memoryMapEntrySchema),
  memoryMapSource: z.enum(['derived', 'explicit']),
  devices: z.array(guestDeviceSchema),
  hotplugReservations: z.array(hotplugReservationSchema.extend({ id: z.string() })),
  migration: migrationHintsSchema.nullable(),
  removed: z.boolean(),
});

export const decodeHostState = (json: unknown): HostState => hostStateSchema.parse(json) as HostState;
export const decodeGuestState = (json: unknown): GuestState => guestStateSchema.parse(json) as GuestState;
