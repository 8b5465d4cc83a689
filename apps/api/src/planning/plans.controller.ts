import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { DEVICE_CLASSES, entityId, notFound, pciAddress, RESERVATION_KINDS } from '@ferry/domain';
import { convergencePolicySchema, effectivePolicy, FleetView, withForecast } from '@ferry/orchestration';
import { CONFLICT_CODES, planHotplug, planMigration, poolMemoryLayout, SEVERITIES } from '@ferry/planner';
import { parseBody } from '../http/request.js';
import { paging } from '../fleet/paging.js';
import { boundConflicts } from './bounded-conflicts.js';
import { Requires } from '../auth/roles.js';
import { type AppConfig, APP_CONFIG } from '@ferry/nest-modules';
import { ApiRoute } from '../openapi/route-spec.js';
import {
  conflictCellResponse,
  conflictMatrixResponse,
  conflictSummaryResponse,
  destinationsResponse,
  memoryLayoutResponse,
  planResponse,
} from '../openapi/responses.js';
import { policyExample } from '../openapi/examples.js';

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
const destinationsQuery = z.strictObject({ postcopy: z.enum(['true', 'false']).optional(), ...paging });

const cellFilters = {
  kind: z.enum(['migration', 'hotplug']).optional(),
  pool: z.string().max(63).optional(),
  host: z.string().max(63).optional(),
  hostClass: z.string().max(63).optional(),
  guest: z.string().max(63).optional(),
  code: z.enum(CONFLICT_CODES as unknown as [string, ...string[]]).optional(),
  severity: z.enum(SEVERITIES as unknown as [string, ...string[]]).optional(),
  verdict: z.enum(['ok', 'warnings', 'blocked']).optional(),
};

const conflictsQuery = z.strictObject({
  ...cellFilters,
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const summaryQuery = z.strictObject({ ...cellFilters, groupBy: z.enum(['pool', 'hostClass']) });

const cellQuery = z
  .strictObject({ guest: entityId, host: entityId.optional(), reservation: z.string().max(63).optional() })
  .refine((q) => !!q.host !== !!q.reservation, {
    message: 'give either host (a migration cell) or reservation (a hot-plug cell)',
    path: ['host'],
  });

/** Dry runs: no side effects, every conflict at once, and the stream versions they were computed from. */
@Controller('v1')
export class PlansController {
  constructor(
    @Inject(FleetView) private readonly fleet: FleetView,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @ApiRoute({
    id: 'planHotplug',
    tag: 'plans',
    summary: 'Dry-run a hot-plug: verdict and every conflict with evidence and remedy',
    body: hotplugPlanSchema,
    example: { guestId: 'vm-1', device: { kind: 'vfio', deviceClass: 'network', hostDevice: '0000:7d:00.0' } },
    response: planResponse,
    errors: [404],
  })
  @Requires('operator')
  @Post('plans/hotplug')
  @HttpCode(200) // a dry run creates nothing
  async hotplug(@Body() body: unknown) {
    const { guestId, device } = parseBody(hotplugPlanSchema, body);
    return planHotplug(await this.fleet.snapshot(), guestId, device);
  }

  @ApiRoute({
    id: 'planMigration',
    tag: 'plans',
    summary: 'Dry-run a migration: verdict, every conflict, forecast and input stream versions',
    body: migrationPlanSchema,
    example: { guestId: 'vm-1', destinationHostId: 'host-b', options: { postcopy: false }, policy: policyExample },
    response: planResponse,
    errors: [404],
  })
  @Requires('operator')
  @Post('plans/migration')
  @HttpCode(200) // a dry run creates nothing
  async migration(@Body() body: unknown) {
    const { guestId, destinationHostId, options, policy: own } = parseBody(migrationPlanSchema, body);
    const snapshot = await this.fleet.snapshot();
    const policy = effectivePolicy(undefined, {
      ...(options.postcopy ? { onTimeout: 'postcopy' as const } : {}),
      ...own,
    });
    return withForecast(
      snapshot,
      planMigration(snapshot, guestId, destinationHostId, options),
      policy,
      this.config.linkBandwidth,
    );
  }

  @ApiRoute({
    id: 'rankDestinations',
    tag: 'plans',
    summary: 'Every host ranked as a destination for the guest; cordoned ones excluded with the reason',
    query: destinationsQuery,
    response: destinationsResponse,
    errors: [404],
  })
  @Get('guests/:id/destinations')
  async destinations(@Param('id') id: string, @Query() query: unknown) {
    const { postcopy, offset, limit } = parseBody(destinationsQuery, query, 'query');
    // Ranked over every host from the matrix's class sets; only the page's hosts carry evidence, bounded.
    const page = await this.fleet.destinations(id, { postcopy: postcopy === 'true', offset, limit });
    return { ...page, destinations: page.destinations.map((d) => ({ ...d, ...boundConflicts(d.conflicts) })) };
  }

  @ApiRoute({
    id: 'poolMemoryLayout',
    tag: 'pools',
    summary: "RAM windows that avoid every pool host's forbidden ranges, and an MSI doorbell IOVA",
    response: memoryLayoutResponse,
    errors: [404],
  })
  @Requires('operator')
  @Post('pools/:pool/memory-layout')
  @HttpCode(200) // a dry run creates nothing
  async memoryLayout(@Param('pool') pool: string) {
    const snapshot = await this.fleet.snapshot();
    return poolMemoryLayout(snapshot.hosts.values(), pool);
  }

  /** The fleet conflict matrix, filtered and paged, with counts by verdict, severity and code. */
  @ApiRoute({
    id: 'queryConflicts',
    tag: 'conflicts',
    summary: 'The fleet conflict matrix, filtered and paged, with counts by verdict, severity and code',
    query: conflictsQuery,
    response: conflictMatrixResponse,
  })
  @Get('conflicts')
  async conflicts(@Query() query: unknown) {
    const q = parseBody(conflictsQuery, query, 'query');
    return this.fleet.query(q as Parameters<FleetView['query']>[0]);
  }

  @ApiRoute({
    id: 'summarizeConflicts',
    tag: 'conflicts',
    summary: 'Counts of the (filtered) matrix per pool or per host class, with counts per rule code in each',
    query: summaryQuery,
    response: conflictSummaryResponse,
  })
  @Get('conflicts/summary')
  async summary(@Query() query: unknown) {
    const { groupBy, ...filters } = parseBody(summaryQuery, query, 'query');
    return this.fleet.summary(groupBy, filters as Parameters<FleetView['summary']>[1]);
  }

  /** One cell of the matrix with every conflict's evidence and remedy. */
  @ApiRoute({
    id: 'explainConflictCell',
    tag: 'conflicts',
    summary: "One cell of the matrix with every conflict's evidence and remedy",
    description: 'Give `host` for a migration cell or `reservation` for a hot-plug cell.',
    query: cellQuery,
    response: conflictCellResponse,
    errors: [404],
  })
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
