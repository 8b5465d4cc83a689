// Plain-data input of a simulated migration, with QEMU's defaults (migration/options.c).
import type { InitialContent, RamBlockSpec } from '../memory/guest-memory.js';
import { EmulatorSpecError } from '../spec-error.js';
import { gbitPerSecond, isPageAligned } from '../units.js';
import type { WorkloadSpec } from '../workload/workload-spec.js';
import { resolveSwitchoverCost, type SwitchoverCost } from './switchover-cost.js';

export interface AutoConvergeParameters {
  enabled: boolean;
  /** cpu-throttle-initial, percent. */
  initial: number;
  /** cpu-throttle-increment, percent. */
  increment: number;
  /** max-cpu-throttle, percent. */
  max: number;
  /** throttle-trigger-threshold: dirtied bytes above this percentage of sent bytes count as "too fast". */
  triggerThreshold: number;
}

export interface PostcopyParameters {
  /** The postcopy-ram capability. Nothing switches unless a policy below (or startPostcopy()) asks. */
  enabled: boolean;
  /** Issue migrate-start-postcopy once this many dirty-bitmap passes have followed the bulk pass. */
  switchAfterIterations?: number;
  /**
   * Issue migrate-start-postcopy when pre-copy stalls: an iteration that shrinks the remaining
   * data by less than 10 % (OpenStack Nova's should_switch_to_postcopy rule), or when the
   * iteration/time limit is reached.
   */
  switchWhenNotConverging?: boolean;
  /** max-postcopy-bandwidth in bytes/s; 0 = unlimited (QEMU's default). */
  maxBandwidth?: number;
}

export interface MigrationParameters {
  /** max-bandwidth in bytes/s (QEMU default 128 MiB/s). Not applied to the final stop-and-copy. */
  maxBandwidth: number;
  /** What the network between the hosts carries, bytes/s. */
  linkBandwidth: number;
  /** downtime-limit in ms (QEMU default 300). */
  downtimeLimitMs: number;
  autoConverge: AutoConvergeParameters;
  postcopy: PostcopyParameters;
  /** multifd-channels; 0 means multifd is off (one migration stream). */
  multifdChannels: number;
  /** Optional per-stream throughput cap in bytes/s (CPU cost of one sender thread); unlimited if absent. */
  perChannelBandwidth?: number;
  /** Non-iterative device state (vmstate) sent while the guest is stopped, in bytes. */
  deviceStateBytes: bigint;
  /** How long the setup phase lasts (dirty logging start, bitmap allocation), in ms. */
  setupMs: number;
  /** What stopping, saving and loading devices and restarting cost at a switchover (switchover-cost.ts). */
  switchover: SwitchoverCost;
  /** Extra fixed switchover cost on top of `switchover`, ms (e.g. a slow device's own state save). */
  switchoverOverheadMs: number;
}

export interface MigrationLimits {
  /** Give up after this many dirty-bitmap syncs (dirty-sync-count) without converging. */
  maxIterations: number;
  /** Give up after this much virtual time without converging, ms. */
  timeoutMs?: number;
}

export interface MigrationSpec {
  ramBlocks: readonly RamBlockSpec[];
  /** Content of pages before the guest's first write during the migration (default 'zero'). */
  initialContent?: InitialContent;
  workload: WorkloadSpec;
  parameters?: Partial<Omit<MigrationParameters, 'autoConverge' | 'postcopy' | 'switchover'>> & {
    autoConverge?: Partial<AutoConvergeParameters>;
    postcopy?: Partial<PostcopyParameters>;
    switchover?: Partial<SwitchoverCost>;
  };
  limits?: Partial<MigrationLimits>;
  /** Simulation step in virtual ms; must divide QEMU's 100 ms rate-limit window. Default 10. */
  tickMs?: number;
  /** Fault injection: the migration stream breaks at this virtual time (ms). */
  networkFailureAtMs?: number;
}

export interface ResolvedMigrationSpec {
  ramBlocks: readonly RamBlockSpec[];
  initialContent: InitialContent;
  workload: WorkloadSpec;
  parameters: MigrationParameters;
  limits: MigrationLimits;
  tickMs: number;
  networkFailureAtMs?: number;
}

export const QEMU_DEFAULT_MAX_BANDWIDTH = 128 * 1024 * 1024;
export const QEMU_DEFAULT_DOWNTIME_LIMIT_MS = 300;
/** QEMU's BUFFER_DELAY: the rate-limit and bandwidth-estimate window. */
export const RATE_WINDOW_MS = 100;

export function resolveMigrationSpec(spec: MigrationSpec): ResolvedMigrationSpec {
  const p = spec.parameters ?? {};
  const parameters: MigrationParameters = {
    maxBandwidth: p.maxBandwidth ?? QEMU_DEFAULT_MAX_BANDWIDTH,
    linkBandwidth: p.linkBandwidth ?? gbitPerSecond(10),
    downtimeLimitMs: p.downtimeLimitMs ?? QEMU_DEFAULT_DOWNTIME_LIMIT_MS,
    autoConverge: { enabled: false, initial: 20, increment: 10, max: 99, triggerThreshold: 50, ...p.autoConverge },
    postcopy: { enabled: false, ...p.postcopy },
    multifdChannels: p.multifdChannels ?? 0,
    deviceStateBytes: p.deviceStateBytes ?? 0n,
    setupMs: p.setupMs ?? 10,
    switchover: resolveSwitchoverCost(p.switchover),
    switchoverOverheadMs: p.switchoverOverheadMs ?? 0,
    ...(p.perChannelBandwidth !== undefined ? { perChannelBandwidth: p.perChannelBandwidth } : {}),
  };
  const limits: MigrationLimits = { maxIterations: 30, ...spec.limits };
  const tickMs = spec.tickMs ?? 10;
  validate(spec, parameters, limits, tickMs);
  return {
    ramBlocks: spec.ramBlocks,
    initialContent: spec.initialContent ?? 'zero',
    workload: spec.workload,
    parameters,
    limits,
    tickMs,
    ...(spec.networkFailureAtMs !== undefined ? { networkFailureAtMs: spec.networkFailureAtMs } : {}),
  };
}

function validate(spec: MigrationSpec, p: MigrationParameters, limits: MigrationLimits, tickMs: number): void {
  const fail = (message: string): never => {
    throw new EmulatorSpecError('INVALID_MIGRATION', message);
  };
  if (spec.ramBlocks.length === 0) fail('a guest needs at least one RAM block');
  const names = new Set<string>();
  for (const block of spec.ramBlocks) {
    if (names.has(block.name)) fail(`duplicate RAM block "${block.name}"`);
    names.add(block.name);
    if (block.size <= 0n || !isPageAligned(block.size) || !isPageAligned(block.gpa) || block.gpa < 0n) {
      throw new EmulatorSpecError(
        'INVALID_MEMORY',
        `RAM block "${block.name}" must have a positive, 4 KiB-aligned size and GPA`,
      );
    }
  }
  for (const [name, value] of [
    ['maxBandwidth', p.maxBandwidth],
    ['linkBandwidth', p.linkBandwidth],
  ] as const) {
    if (!(value > 0) || !Number.isFinite(value)) fail(`${name} must be a positive number of bytes/s`);
  }
  if (p.perChannelBandwidth !== undefined && !(p.perChannelBandwidth > 0)) fail('perChannelBandwidth must be positive');
  if (!(p.downtimeLimitMs > 0 && p.downtimeLimitMs <= 2_000_000))
    fail('downtimeLimitMs must be within (0, 2000 s] (QEMU limit)');
  if (!Number.isInteger(p.multifdChannels) || p.multifdChannels < 0 || p.multifdChannels > 255)
    fail('multifdChannels must be an integer in [0, 255]');
  const ac = p.autoConverge;
  if (!(
    ac.initial >= 1 &&
    ac.initial <= 99 &&
    ac.increment >= 1 &&
    ac.increment <= 99 &&
    ac.max >= 1 &&
    ac.max <= 99
  )) {
    fail('auto-converge percentages must be within [1, 99] (QEMU limits)');
  }
  if (!(ac.triggerThreshold >= 1 && ac.triggerThreshold <= 100)) fail('triggerThreshold must be within [1, 100]');
  if (p.deviceStateBytes < 0n) fail('deviceStateBytes must be ≥ 0');
  if (!Number.isInteger(tickMs) || tickMs <= 0 || RATE_WINDOW_MS % tickMs !== 0)
    fail('tickMs must be a whole divisor of 100');
  if (!Number.isInteger(limits.maxIterations) || limits.maxIterations < 2) fail('maxIterations must be an integer ≥ 2');
  if (!(p.setupMs >= 0) || !(p.switchoverOverheadMs >= 0)) fail('setupMs and switchoverOverheadMs must be ≥ 0');
}
