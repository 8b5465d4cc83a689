import { z } from 'zod';
import type { FieldProblem } from '@ferry/domain';
import type { EventStore } from '@ferry/event-store';
import type { WriteContext, WriteOutcome } from '@ferry/fleet';
import { convergencePolicySchema, type ConvergencePolicyInput } from './convergence-policy.js';

const BACKENDS = ['emulator', 'qemu', 'libvirt'] as const;

/** A pool's defaults for the migrations of guests running in it; a migration's own fields win. */
export const poolPolicySchema = z.strictObject({
  policy: convergencePolicySchema.default({}),
  backend: z.enum(BACKENDS).optional(),
});

export type PoolPolicy = { policy: ConvergencePolicyInput; backend?: 'emulator' | 'qemu' | 'libvirt' };

const streamOfPool = (pool: string) => `pool-${pool}`;

/**
 * The stored policy is the operator's input (sizes as written), re-validated here field by field.
 * A field today's rules refuse (one stored before they existed, e.g. `maxBandwidth: "0"`) is left
 * out and reported, never applied: a stored policy must not turn every migration of its pool into
 * an error. The event itself is never rewritten.
 */
export function readStoredPoolPolicy(stored: unknown): { value: PoolPolicy; ignored: FieldProblem[] } {
  const ignored: FieldProblem[] = [];
  const input = isRecord(stored) ? stored : {};
  const policy: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(isRecord(input.policy) ? input.policy : {})) {
    const field = (convergencePolicySchema.shape as Record<string, z.ZodType>)[key];
    const result = field?.safeParse(raw);
    if (result?.success) policy[key] = raw;
    else ignored.push({ field: `policy.${key}`, message: result?.error.issues[0]?.message ?? 'unknown field' });
  }
  const value: PoolPolicy = { policy: policy as ConvergencePolicyInput };
  if (input.backend !== undefined) {
    if (BACKENDS.includes(input.backend as never)) value.backend = input.backend as PoolPolicy['backend'];
    else ignored.push({ field: 'backend', message: `must be one of ${BACKENDS.join(', ')}` });
  }
  return { value, ignored };
}

export async function loadPoolPolicy(
  store: EventStore,
  pool: string | undefined,
): Promise<{ value: PoolPolicy | undefined; ignored: FieldProblem[]; version: number }> {
  if (!pool) return { value: undefined, ignored: [], version: 0 };
  const last = (await store.readStream(streamOfPool(pool))).at(-1);
  if (!last) return { value: undefined, ignored: [], version: 0 };
  return { ...readStoredPoolPolicy((last.data as { policy: unknown }).policy), version: last.streamVersion };
}

/**
 * Records a pool's policy (validated by the caller with poolPolicySchema). Honours If-Match (a
 * version or `*`) and Idempotency-Key like every other write: a retry gets the first answer.
 */
export async function setPoolPolicy(
  store: EventStore,
  pool: string,
  raw: PoolPolicy,
  ctx: WriteContext,
): Promise<WriteOutcome> {
  const current = await loadPoolPolicy(store, pool);
  const body = { pool, ...raw, version: current.version + 1 };
  const outcome = await store.appendMany(
    [
      {
        streamId: streamOfPool(pool),
        expectedVersion: ctx.expectedVersion ?? current.version,
        events: [{ type: 'PoolPolicySet', data: { pool, policy: raw }, metadata: ctx.metadata }],
      },
    ],
    ctx.idempotency && { ...ctx.idempotency, respond: () => ({ status: 200, body }) },
  );
  if (outcome.kind === 'replayed') return { status: outcome.record.status, body: outcome.record.body, replayed: true };
  return { status: 200, body, replayed: false };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
