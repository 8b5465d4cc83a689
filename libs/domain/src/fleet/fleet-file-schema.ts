import { z } from 'zod';
import { guestSchema } from './guest-schema.js';
import { hostSchema } from './host-schema.js';
import { boundedText } from './primitives.js';

export const machineDefaultSchema = z.strictObject({
  machine: boundedText(64).regex(/^[a-z0-9.-]+\*?$/, 'must be a machine type or a pattern like "pc-q35-*"'),
  virtioIommuPlatform: z.boolean(),
});

export const fleetFileSchema = z
  .strictObject({
    hosts: z.array(hostSchema).max(100_000).default([]),
    guests: z.array(guestSchema).max(1_000_000).default([]),
    machineDefaults: z.array(machineDefaultSchema).max(1000).optional(),
  })
  .superRefine((fleet, ctx) => {
    reportDuplicates(
      fleet.hosts.map((host) => host.id),
      'hosts',
      ctx,
    );
    reportDuplicates(
      fleet.guests.map((guest) => guest.id),
      'guests',
      ctx,
    );
  });

function reportDuplicates(ids: string[], field: string, ctx: z.RefinementCtx): void {
  const first = new Map<string, number>();
  ids.forEach((id, index) => {
    const earlier = first.get(id);
    if (earlier === undefined) first.set(id, index);
    else
      ctx.addIssue({
        code: 'custom',
        path: [field, index, 'id'],
        message: `duplicate id "${id}" (also ${field}[${earlier}])`,
      });
  });
}

export type MachineDefault = z.output<typeof machineDefaultSchema>;
export type FleetFile = z.output<typeof fleetFileSchema>;
