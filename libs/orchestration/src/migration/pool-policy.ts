import { z } from 'zod';
import type { EventMetadata, EventStore } from '@ferry/event-store';
import { convergencePolicySchema, type ConvergencePolicyInput } from './convergence-policy.js';

/** A pool's defaults for the migrations of guests running in it; a migration's own fields win. */
export const poolPolicySchema = z.strictObject({
  policy: convergencePolicySchema.default({}),
  backend: z.enum(['emulator', 'qemu', 'libvirt']).optional(),
});

export type PoolPolicy = { policy: ConvergencePolicyInput; backend?: 'emulator' | 'qemu' | 'libvirt' };

const streamOfPool = (pool: string) => `pool-${pool}`;

export async function loadPoolPolicy(
  store: EventStore,
  pool: string | undefined,
): Promise<{ value: PoolPolicy | undefined; version: number }> {
  if (!pool) return { value: undefined, version: 0 };
  const events = await store.readStream(streamOfPool(pool));
  const last = events.at(-1);
  // The stored policy is the operator's input (sizes as written), re-validated when applied.
  return { value: last ? (last.data as { policy: PoolPolicy }).policy : undefined, version: last?.streamVersion ?? 0 };
}

export async function setPoolPolicy(
  store: EventStore,
  pool: string,
  raw: unknown,
  metadata: EventMetadata,
  expectedVersion?: number,
): Promise<{ value: PoolPolicy; version: number }> {
  const current = await loadPoolPolicy(store, pool);
  const value = raw as PoolPolicy;
  await store.append(
    streamOfPool(pool),
    [{ type: 'PoolPolicySet', data: { pool, policy: value }, metadata }],
    expectedVersion ?? current.version,
  );
  return { value, version: current.version + 1 };
}
