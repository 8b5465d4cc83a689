import { z } from 'zod';
import { guestDeviceSchema, guestSchema, hostSchema, memoryMapEntrySchema, migrationHintsSchema } from '@ferry/domain';
import { CONFLICT_CODES, SEVERITIES } from '@ferry/planner';
import { ROLES } from '../auth/roles.js';

// What the API answers, as zod schemas of the JSON on the wire (the document uses their input side:
// "0x…" strings and "16GiB" sizes, as the fleet file writes them). The views are built by plain
// functions in the libraries; these schemas name the fields a client may rely on (objects stay open:
// a view may carry more), and test/openapi.e2e.spec.ts checks real answers against them.

const named = new Map<z.ZodType, string>();
/** A schema that becomes `#/components/schemas/<name>` in the document. */
export function component<T extends z.ZodType>(name: string, schema: T): T {
  named.set(schema, name);
  return schema;
}
export const componentName = (schema: z.ZodType) => named.get(schema);

const hex = z.string().regex(/^0x[0-9a-f]+$/i);
const range = z.looseObject({ start: hex, end: hex });
const verdict = z.enum(['ok', 'warnings', 'blocked']);

export const fieldProblemResponse = z.strictObject({ field: z.string(), message: z.string() });

export const conflictResponse = component(
  'Conflict',
  z.looseObject({
    code: z.enum(CONFLICT_CODES as unknown as [string, ...string[]]),
    severity: z.enum(SEVERITIES as unknown as [string, ...string[]]),
    message: z.string(),
    evidence: z.looseObject({ fact: z.string(), section: z.string() }),
    remedy: z.string(),
    section: z.string(),
  }),
);

export const problemResponse = component(
  'Problem',
  z.strictObject({
    statusCode: z.int(),
    error: z.string().describe('a stable, snake_case code: validation_failed, not_found, version_conflict, …'),
    message: z.string(),
    problems: z.array(fieldProblemResponse).describe('one entry per field to fix; empty when no field is at fault'),
    conflicts: z.array(conflictResponse).optional().describe('a blocked plan (409): every conflict'),
  }),
);

const page = <T extends z.ZodType>(item: T) =>
  z.strictObject({ items: z.array(item), total: z.int(), offset: z.int(), limit: z.int() });

export const hostResponse = component(
  'HostView',
  z.looseObject({
    ...hostSchema.shape,
    pool: z.string().nullable(),
    cordoned: z.boolean(),
    cordonReason: z.string().nullable(),
    reachable: z.boolean(),
    unreachableReason: z.string().nullable(),
    decommissioned: z.boolean(),
    version: z.int(),
  }),
);
export const hostPageResponse = component('HostPage', page(hostResponse));

export const guestResponse = component(
  'GuestView',
  z.looseObject({
    ...guestSchema.shape,
    host: z.string().nullable(),
    memory: z.strictObject({ ram: z.string(), max: z.string().optional(), slots: z.int() }),
    devices: z.array(
      z.looseObject({
        ...guestDeviceSchema.shape,
        effectiveIommuPlatform: z
          .strictObject({
            value: z.boolean(),
            source: z.enum(['device', 'machine-default', 'qemu-default']),
            rule: z.string().optional().describe('the machine-defaults pattern that decided it'),
          })
          .nullable()
          .describe('virtio devices: the iommu_platform in force and where it comes from; null for others'),
      }),
    ),
    migration: migrationHintsSchema.nullable().optional(),
    memoryMap: z.array(memoryMapEntrySchema),
    memoryMapSource: z.enum(['derived', 'explicit']),
    version: z.int(),
  }),
);
export const guestPageResponse = component('GuestPage', page(guestResponse));

export const fleetApplyResponse = component(
  'FleetApplyResult',
  z.strictObject({
    changed: z.array(z.strictObject({ kind: z.string(), id: z.string(), events: z.array(z.string()) })),
    unchanged: z.int(),
    eventsWritten: z.int(),
    lastPosition: z.int().nullable(),
  }),
);

export const machineDefaultsResponse = component(
  'MachineDefaultsView',
  z.strictObject({ machineDefaults: z.array(z.looseObject({})), version: z.int() }),
);

export const storedEventResponse = component(
  'StoredEvent',
  z.strictObject({
    position: z.int().describe('global, strictly increasing in commit order'),
    streamId: z.string(),
    streamVersion: z.int(),
    type: z.string(),
    data: z.unknown(),
    metadata: z.looseObject({
      actor: z.string().optional(),
      correlationId: z.string().optional(),
      idempotencyKey: z.string().optional(),
    }),
    recordedAt: z.string(),
  }),
);
export const eventPageResponse = component(
  'EventPage',
  z.strictObject({ events: z.array(storedEventResponse), next: z.int(), lastPosition: z.int() }),
);
export const streamResponse = component(
  'Stream',
  z.strictObject({ streamId: z.string(), version: z.int(), events: z.array(storedEventResponse) }),
);

const streamRef = z.looseObject({ id: z.string(), version: z.int().nullable() });
export const planResponse = component(
  'Plan',
  z.looseObject({ verdict, conflicts: z.array(conflictResponse), inputs: z.looseObject({}) }),
);
export const destinationsResponse = component(
  'DestinationRanking',
  z.looseObject({
    guest: streamRef,
    source: streamRef.nullable(),
    destinations: z.array(
      z.looseObject({
        rank: z.int(),
        host: streamRef,
        pool: z.string().nullable(),
        verdict,
        freeMemory: z.string(),
        conflicts: z.array(conflictResponse),
      }),
    ),
    excluded: z.array(z.looseObject({ host: streamRef, reason: z.string() })),
  }),
);
export const memoryLayoutResponse = component(
  'PoolMemoryLayout',
  z.looseObject({ pool: z.string(), forbidden: z.array(range).optional() }),
);
const matrixCell = z.looseObject({
  kind: z.enum(['migration', 'hotplug']),
  guestId: z.string(),
  hostId: z.string(),
  reservationId: z.string().nullable(),
  verdict,
});
export const conflictMatrixResponse = component(
  'ConflictMatrixPage',
  z.looseObject({
    total: z.int(),
    offset: z.int(),
    limit: z.int(),
    cells: z.array(matrixCell),
    counts: z.looseObject({ byVerdict: z.record(z.string(), z.int()), bySeverity: z.record(z.string(), z.int()) }),
  }),
);
export const conflictSummaryResponse = component(
  'ConflictSummary',
  z.looseObject({
    groupBy: z.enum(['pool', 'hostClass']),
    total: z.int(),
    counts: z.looseObject({ byVerdict: z.record(z.string(), z.int()), bySeverity: z.record(z.string(), z.int()) }),
    groups: z.array(z.looseObject({ key: z.string().nullable(), hosts: z.int(), total: z.int() })),
  }),
);
export const conflictCellResponse = component('ConflictCell', z.looseObject({ verdict }));

export const migrationResponse = component(
  'Migration',
  z.looseObject({
    id: z.string(),
    guestId: z.string(),
    sourceHostId: z.string(),
    destinationHostId: z.string(),
    state: z.enum(['requested', 'waiting', 'running', 'completed', 'failed', 'cancelled', 'rejected']),
    backend: z.enum(['emulator', 'qemu']),
    evacuationId: z.string().nullable(),
    waitingReason: z.string().nullable(),
    cancelRequested: z.boolean(),
    lastProgress: z
      .looseObject({
        iteration: z.int(),
        status: z.string(),
        elapsedMs: z.number(),
        transferredBytes: z.string(),
        remainingBytes: z.string(),
        totalBytes: z.string(),
        dirtyPagesRate: z.number(),
        expectedDowntimeMs: z.number(),
        downtimeLimitMs: z.number(),
        cpuThrottlePercentage: z.number(),
        mbps: z.number(),
      })
      .nullable(),
    outcome: z.string().nullable(),
    version: z.int(),
  }),
);
export const migrationPageResponse = component('MigrationPage', page(migrationResponse));

export const hotplugResponse = component(
  'Hotplug',
  z.looseObject({ id: z.string(), guestId: z.string(), state: z.string(), version: z.int() }),
);
export const hotplugPageResponse = component('HotplugPage', page(hotplugResponse));

const move = z.looseObject({ guestId: z.string(), destinationHostId: z.string(), migrationId: z.string() });
const unplaceable = z.looseObject({ guestId: z.string(), conflicts: z.array(conflictResponse) });
export const evacuationStartedResponse = component(
  'EvacuationStarted',
  z.looseObject({ id: z.string(), hostId: z.string(), moves: z.array(move), unplaceable: z.array(unplaceable) }),
);
export const evacuationResponse = component(
  'Evacuation',
  z.looseObject({
    evacuationId: z.string(),
    hostId: z.string(),
    startedAt: z.string(),
    moves: z.array(move.extend({ state: z.string(), waitingReason: z.string().nullable() })),
    unplaceable: z.array(unplaceable),
    total: z.int(),
    completed: z.int(),
    failed: z.int(),
    running: z.int(),
    waiting: z.int(),
    done: z.boolean(),
  }),
);

export const poolPolicyResponse = component(
  'PoolMigrationPolicy',
  z.looseObject({
    pool: z.string(),
    policy: z.looseObject({}),
    backend: z.enum(['emulator', 'qemu']).optional(),
    ignored: z
      .array(fieldProblemResponse)
      .optional()
      .describe('stored fields today’s rules refuse: they are not applied'),
    version: z.int(),
  }),
);

const tokenRole = z.enum(ROLES);
export const tokenIssuedResponse = component(
  'IssuedToken',
  z.looseObject({
    id: z.string(),
    name: z.string(),
    role: tokenRole,
    token: z.string().optional().describe('the secret: in the first answer only, never in a replay'),
  }),
);
export const tokenListResponse = component(
  'TokenList',
  z.strictObject({ items: z.array(z.looseObject({ id: z.string(), name: z.string(), role: tokenRole })) }),
);
export const tokenRevokedResponse = z.strictObject({ id: z.string(), revoked: z.literal(true) });

const check = z.looseObject({
  status: z.enum(['up', 'down']),
  latencyMs: z.number().optional(),
  error: z.string().optional(),
});
export const healthResponse = component(
  'Health',
  z.looseObject({ status: z.enum(['ok', 'down']), database: check, redis: check.optional() }),
);
