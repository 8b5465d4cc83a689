import { GiB, PAGE_SIZE, type GuestState } from '@ferry/domain';
import type { MigrationSpec, WorkloadSpec } from '@ferry/emulator';
import type { ConvergencePolicy } from './convergence-policy.js';

const RATE = /^(\d+)\s*(\/s|KiB\/s|MiB\/s|GiB\/s)$/;
const UNIT: Record<string, number> = { 'KiB/s': 1024, 'MiB/s': 1024 ** 2, 'GiB/s': 1024 ** 3 };

/** "5000/s" is pages per second; "20MiB/s" is bytes per second, turned into 4 KiB pages. */
export function pagesPerSecond(rate: string | undefined): number {
  const match = rate ? RATE.exec(rate) : null;
  if (!match) return 0;
  const value = Number(match[1]);
  return match[2] === '/s' ? value : Math.round((value * UNIT[match[2]!]!) / Number(PAGE_SIZE));
}

/** Seeds from the migration id, so a rehearsal and its re-run see the same workload. */
export function seedOf(id: string): number {
  let h = 2166136261;
  for (const c of id) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

/**
 * The emulator's view of a guest: its RAM blocks from the recorded memory map, and a hot-set
 * workload from the operator's hints (dirty rate over a working set; idle without hints).
 */
export function migrationSpecFor(
  guest: GuestState,
  policy: ConvergencePolicy,
  options: { linkBandwidth: number; streamBandwidth?: number; seed: number; hasVfio: boolean },
): MigrationSpec {
  const ramBlocks = guest.memoryMap
    .filter((e) => e.kind === 'ram')
    .map((e, index) => ({ name: index === 0 ? 'ram' : `ram${index}`, gpa: e.start, size: e.end - e.start + 1n }));
  const rate = pagesPerSecond(guest.migration?.dirtyRate);
  const total = ramBlocks.reduce((sum, b) => sum + b.size, 0n);
  const workingSet = guest.migration?.workingSet ?? total / 8n;
  const workload: WorkloadSpec =
    rate === 0
      ? { kind: 'idle' }
      : {
          kind: 'hot-set',
          pagesPerSecond: rate,
          hotBytes: workingSet < total ? workingSet : total,
          hotFraction: 0.9,
          seed: options.seed,
        };
  return {
    ramBlocks,
    // A running guest's memory is mostly written; pages it never touched still travel once.
    initialContent: 'filled',
    workload,
    parameters: {
      maxBandwidth: policy.maxBandwidth ?? options.linkBandwidth,
      linkBandwidth: options.linkBandwidth,
      downtimeLimitMs: policy.downtimeLimitMs,
      autoConverge: { enabled: policy.autoConverge },
      // Post-copy carries no VFIO device state (docs/domain.md#vfio-migration): never with assigned devices.
      postcopy: { enabled: policy.onTimeout === 'postcopy' && !options.hasVfio },
      multifdChannels: policy.multifdChannels,
      ...(options.streamBandwidth ? { perChannelBandwidth: options.streamBandwidth } : {}),
      deviceStateBytes: options.hasVfio ? 64n * 1024n * 1024n : 1024n * 1024n,
    },
    // The executor enforces the completion timeout itself (abort or post-copy); this is a backstop.
    limits: { maxIterations: 100_000, timeoutMs: completionTimeoutMs(total, policy) * 4 },
  };
}

export function completionTimeoutMs(ramBytes: bigint, policy: ConvergencePolicy): number {
  const gib = Math.max(1, Number(ramBytes) / Number(GiB));
  return Math.round(gib * policy.completionTimeoutPerGiB * 1000);
}
