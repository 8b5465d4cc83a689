import { Body, Controller, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { DEVICE_CLASSES, entityId, notFound, pciAddress, RESERVATION_KINDS } from '@ferry/domain';
import { convergencePolicySchema, effectivePolicy, FleetView, withForecast } from '@ferry/orchestration';
import {
  CONFLICT_CODES,
  planHotplug,
  planMigration,
  poolMemoryLayout,
  rankDestinations,
  SEVERITIES,
} from '@ferry/planner';
import { parseBody } from '../http/request.js';
import { Requires } from '../auth/roles.js';

export const hotplugDeviceSchema = z.strictObject({
  id: entityId.optional(),
  kind: z.enum(RESERVATION_KINDS),
  hostDevice: pciAddress.optional(),
  deviceClass: z.enum(DEVICE_CLASSES).optional(),
  iommuPlatform: z.boolean().optional(),
  transitional: z.boolean().optional(),
});

export const migrationOptionsSchema = z
  .strictObject({ postcopy: z.boolean().default(false) })
  .default({ postcopy: false });

const hotplugPlanSchema = z.strictObject({ guestId: entityId, device: hotplugDeviceSchema });
const migrationPlanSchema = z.strictObject({
  guestId: entityId,
  destinationHostId: entityId,
  options: migrationOptionsSchema,
  policy: convergencePolicySchema.optional(),
});
const destinationsQuery = z.strictObject({ postcopy: z.enum(['true', 'false']).optional() });

const conflictsQuery = z.strictObject({
  kind: z.enum(['migration', 'hotplug']).optional(),
  pool: z.string().max(63).optional(),
  host: z.string().max(63).optional(),
  guest: z.string().max(63).optional(),
  code: z.enum(CONFLICT_CODES as unknown as [string, ...string[]]).optional(),
  severity: z.enum(SEVERITIES as unknown as [string, ...string[]]).optional(),
  verdict: z.enum(['ok', 'warnings', 'blocked']).optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const cellQuery = z
  .strictObject({ guest: entityId, host: entityId.optional(), reservation: z.string().max(63).optional() })
  .refine((q) => !!q.host !== !!q.reservation, {
    message: 'give either host (a migration cell) or reservation (a hot-plug cell)',
    path: ['host'],
  });

/** Dry runs: no side effects, every conflict at once, and the stream versions they were computed from. */
@Controller('v1')
export class PlansController {
  constructor(@Inject(FleetView) private readonly fleet: FleetView) {}

  @Requires('operator')
  @Post('plans/hotplug')
  async hotplug(@Body() body: unknown) {
    const { guestId, device } = parseBody(hotplugPlanSchema, body);
    return planHotplug(await this.fleet.snapshot(), guestId, device);
  }

  @Requires('operator')
  @Post('plans/migration')
  async migration(@Body() body: unknown) {
    const { guestId, destinationHostId, options, policy: own } = parseBody(migrationPlanSchema, body);
    const snapshot = await this.fleet.snapshot();
    const policy = effectivePolicy(undefined, {
      ...(options.postcopy ? { onTimeout: 'postcopy' as const } : {}),
      ...own,
    });
    return withForecast(snapshot, planMigration(snapshot, guestId, destinationHostId, options), policy);
  }

  @Get('guests/:id/destinations')
  async destinations(@Param('id') id: string, @Query() query: unknown) {
    const { postcopy } = parseBody(destinationsQuery, query, 'query');
    return rankDestinations(await this.fleet.snapshot(), id, { postcopy: postcopy === 'true' });
  }

  @Requires('operator')
  @Post('pools/:pool/memory-layout')
  async memoryLayout(@Param('pool') pool: string) {
    const snapshot = await this.fleet.snapshot();
    return poolMemoryLayout(snapshot.hosts.values(), pool);
  }

  /** The fleet conflict matrix, filtered and paged, with counts by verdict, severity and code. */
  @Get('conflicts')
  async conflicts(@Query() query: unknown) {
    const q = parseBody(conflictsQuery, query, 'query');
    return this.fleet.query(q as Parameters<FleetView['query']>[0]);
  }

  /** One cell of the matrix with every conflict's evidence and remedy. */
  @Get('conflicts/cell')
  async cell(@Query() query: unknown) {
    const { guest, host, reservation } = parseBody(cellQuery, query, 'query');
    const matrix = await this.fleet.matrix();
    // Unknown references are 404s naming the query parameter a viewer sent.
    const { guests, hosts } = matrix.snapshot();
    const row = guests.get(guest);
    if (!row || row.removed) throw notFound('guest', guest, 'query.guest');
    if (host && !hosts.has(host)) throw notFound('host', host, 'query.host');
    if (reservation && !row.hotplugReservations.some((r) => r.id === reservation))
      throw notFound('reservation', reservation, 'query.reservation');
    return host ? matrix.explainMigration(guest, host) : matrix.explainHotplug(guest, reservation!);
  }
}
