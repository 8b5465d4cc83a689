import { z } from 'zod';
import { size } from '@ferry/domain';

// What operators know from oVirt (migration policies, stalling steps), Nova
// (live_migration_completion_timeout per GiB, post-copy) and KubeVirt (bandwidthPerMigration,
// completionTimeoutPerGiB, allowAutoConverge, allowPostCopy). Defaults follow QEMU (docs/domain.md#precopy).

export const downtimeStepSchema = z.strictObject({
  /** Raise the limit after this many consecutive iterations that did not shrink what remains. */
  afterStalledIterations: z.int().min(1).max(1000),
  downtimeLimitMs: z.int().min(1).max(2_000_000),
});

/**
 * A policy as an operator writes it: every field optional and NO defaults in the schema, so a
 * partial policy (a migration's, a pool's) never silently re-imposes a default over another layer.
 */
export const convergencePolicySchema = z.strictObject({
  /** Bytes per second ("1GiB" = 1 GiB/s); unset = the link's speed. A rate, not an address: a number is exact here. */
  // 0 is no bandwidth at all (QEMU would never finish; the emulator refuses it): more than 0.
  maxBandwidth: size
    .refine((bytes) => bytes > 0n, { message: 'must be more than 0 bytes per second' })
    .transform((bytes) => Number(bytes))
    .optional(),
  downtimeLimitMs: z.int().min(1).max(2_000_000).optional(),
  downtimeSchedule: z.array(downtimeStepSchema).max(20).optional(),
  /** Give up (or switch to post-copy) after this many seconds per GiB of guest RAM. */
  completionTimeoutPerGiB: z.int().min(1).max(100_000).optional(),
  onTimeout: z.enum(['abort', 'postcopy']).optional(),
  autoConverge: z.boolean().optional(),
  multifdChannels: z.int().min(1).max(64).optional(),
});

export type ConvergencePolicyInput = z.input<typeof convergencePolicySchema>;

export interface ConvergencePolicy {
  maxBandwidth?: number;
  downtimeLimitMs: number;
  downtimeSchedule: z.output<typeof downtimeStepSchema>[];
  completionTimeoutPerGiB: number;
  onTimeout: 'abort' | 'postcopy';
  autoConverge: boolean;
  multifdChannels: number;
}

export const DEFAULT_POLICY: ConvergencePolicy = {
  downtimeLimitMs: 300,
  downtimeSchedule: [],
  completionTimeoutPerGiB: 150,
  onTimeout: 'abort',
  autoConverge: true,
  multifdChannels: 2,
};

const given = (input: ConvergencePolicyInput | undefined) =>
  Object.fromEntries(Object.entries(convergencePolicySchema.parse(input ?? {})).filter(([, v]) => v !== undefined));

/** A migration's own policy fields win over its pool's, which win over the defaults. */
export function effectivePolicy(
  pool: ConvergencePolicyInput | undefined,
  own: ConvergencePolicyInput | undefined,
): ConvergencePolicy {
  return { ...DEFAULT_POLICY, ...given(pool), ...given(own) } as ConvergencePolicy;
}

/** The downtime limit in force after `stalled` consecutive stalled iterations. */
export function downtimeLimitAfter(policy: ConvergencePolicy, stalled: number): number {
  let limit = policy.downtimeLimitMs;
  for (const step of [...policy.downtimeSchedule].sort((a, b) => a.afterStalledIterations - b.afterStalledIterations)) {
    if (stalled >= step.afterStalledIterations) limit = Math.max(limit, step.downtimeLimitMs);
  }
  return limit;
}
