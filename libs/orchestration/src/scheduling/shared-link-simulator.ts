// Several emulated migrations crossing one link, stepped in lockstep (every running one advances
// one 10 ms tick per round). At each control point a policy says which waiting migrations start
// and what rate each running one asks for; the link splits itself max-min fairly among those asks
// (as competing TCP streams do), and each migration's QEMU max-bandwidth is set to what it gets.
// Used by the unit tests and bench/evacuation.bench.ts to compare scheduling policies on the same
// QEMU parameters.
import { MigrationSimulation, type MigrationSpec } from '@ferry/emulator';
import {
  decideShares,
  type MoveToSchedule,
  type RunningMove,
  type SharedLink,
  type ShareDecision,
} from './evacuation-scheduler.js';
import type { EvacuationSchedule } from './evacuation-plan.js';
import { maxMinFair } from './link-share.js';

export interface SimulatedMove extends MoveToSchedule {
  /** The migration as the emulator runs it; link speed, stream cap and max-bandwidth are set by the simulator. */
  spec: MigrationSpec;
}

export interface LinkPolicy {
  readonly name: string;
  /** Waiting moves are given in submission order. */
  control(running: readonly RunningMove[], waiting: readonly MoveToSchedule[], link: SharedLink): ShareDecision;
}

export interface MoveOutcome {
  id: string;
  /** Virtual ms since the evacuation began. */
  startMs: number;
  endMs: number;
  status: string;
  converged: boolean;
  downtimeMs: number | null;
  transferredBytes: bigint;
  maxThrottlePercent: number;
}

export interface SharedLinkRun {
  policy: string;
  makespanMs: number;
  peakConcurrent: number;
  moves: MoveOutcome[];
}

export interface SimulatorOptions {
  /** How often shares are recomputed besides whenever a migration ends (a controller polls query-migrate about once a second). */
  controlEveryMs?: number;
}

const TICK_MS = 10;

/** Runs every move to its end under `policy`; a migration that hits its limits is cancelled and counted as not converged. */
export function simulateSharedLink(
  moves: readonly SimulatedMove[],
  link: SharedLink,
  policy: LinkPolicy,
  options: SimulatorOptions = {},
): SharedLinkRun {
  const controlEveryMs = options.controlEveryMs ?? 1000;
  const waiting = [...moves];
  // A finished migration keeps its slot until its switchover ends (`endMs`): the guest is paused
  // and its last pages and device state cross the link, at full stream speed.
  const running = new Map<string, { move: SimulatedMove; sim: MigrationSimulation; startMs: number; endMs?: number }>();
  const outcomes: MoveOutcome[] = [];
  let now = 0;
  let nextControl = 0;
  let peak = 0;
  while (waiting.length > 0 || running.size > 0) {
    for (const [id, entry] of running) {
      if (entry.endMs === undefined || entry.endMs > now) continue;
      running.delete(id);
      nextControl = now; // a slot is free: re-decide now
    }
    if (waiting.length === 0 && running.size === 0) break;
    if (now >= nextControl) {
      const views = [...running.values()].map(({ move, sim, endMs }) => ({
        ...strip(move),
        remainingBytes: endMs === undefined ? Number(sim.info().ram.remainingBytes) : 0,
      }));
      const decision = policy.control(views, waiting.map(strip), link);
      for (const id of decision.admit) {
        const index = waiting.findIndex((m) => m.id === id);
        if (index < 0 || running.has(id)) throw new Error(`policy ${policy.name} admitted ${id}, which is not waiting`);
        const [move] = waiting.splice(index, 1);
        running.set(id, { move: move!, sim: new MigrationSimulation(withLink(move!.spec, link)), startMs: now });
      }
      if (running.size === 0)
        throw new Error(`policy ${policy.name} started nothing while ${waiting.length} moves wait`);
      peak = Math.max(peak, running.size);
      // What each stream asks for (never more than one stream can push), split as TCP would.
      // The final stop-and-copy is not rate-limited (QEMU lifts max-bandwidth for it).
      const asks = new Map(
        [...running].map(([id, e]) => [
          id,
          Math.min(
            e.endMs === undefined ? (decision.shares.get(id) ?? link.bandwidth) : link.bandwidth,
            link.perStreamCap,
          ),
        ]),
      );
      const rates = maxMinFair(asks, link.bandwidth);
      for (const [id, entry] of running)
        if (entry.endMs === undefined) entry.sim.setParameters({ maxBandwidth: Math.max(1, rates.get(id)!) });
      nextControl = now + controlEveryMs;
    }
    for (const [id, entry] of running) {
      if (entry.endMs !== undefined) continue;
      entry.sim.step();
      if (!entry.sim.finished) continue;
      // An iteration or time limit leaves the migration active: abort it, as the executor does.
      if (entry.sim.status === 'active' || entry.sim.status === 'setup') entry.sim.cancel();
      const result = entry.sim.result();
      entry.endMs = entry.startMs + result.info.totalTimeMs;
      outcomes.push({
        id,
        startMs: entry.startMs,
        endMs: entry.endMs,
        status: result.status,
        converged: result.converged,
        downtimeMs: result.info.downtimeMs,
        transferredBytes: result.info.ram.transferredBytes,
        maxThrottlePercent: result.throttleSteps.reduce((max, s) => Math.max(max, s), 0),
      });
    }
    now += TICK_MS;
  }
  return {
    policy: policy.name,
    makespanMs: outcomes.reduce((max, o) => Math.max(max, o.endMs), 0),
    peakConcurrent: peak,
    moves: outcomes,
  };
}

function strip(move: SimulatedMove): MoveToSchedule {
  const { spec: _spec, ...plain } = move;
  return plain;
}

/** Every policy runs on the same link and stream cap, all in 10 ms lockstep; only the scheduling differs. */
function withLink(spec: MigrationSpec, link: SharedLink): MigrationSpec {
  return {
    ...spec,
    tickMs: TICK_MS,
    parameters: {
      ...spec.parameters,
      linkBandwidth: link.bandwidth,
      perChannelBandwidth: link.perStreamCap,
      maxBandwidth: link.perStreamCap,
    },
  };
}

// ---- policies ---------------------------------------------------------------------------

/** In submission order, at most `n` at once, each asking for the whole link (KubeVirt's parallelOutboundMigrationsPerNode). */
export function fixedParallelPolicy(n: number, name = `fixed-${n}`): LinkPolicy {
  return {
    name,
    control(running, waiting, link) {
      const admit = waiting.slice(0, Math.max(0, n - running.length)).map((m) => m.id);
      return { admit, shares: new Map([...running.map((m) => m.id), ...admit].map((id) => [id, link.bandwidth])) };
    },
  };
}

/** One at a time (Nova's max_concurrent_live_migrations = 1). */
export function serialPolicy(): LinkPolicy {
  return fixedParallelPolicy(1, 'serial');
}

/** Ferry's scheduler, re-deciding admissions and shares at every control point. */
export function ferryPolicy(name = 'ferry'): LinkPolicy {
  return { name, control: (running, waiting, link) => decideShares(running, waiting, link) };
}

/**
 * A plan executed the way the job queue runs it today: moves start in the plan's order whenever
 * one of `maxConcurrent` slots is free, each with a fixed max-bandwidth; the link splits the rest.
 */
export function staticPlanPolicy(
  schedule: Pick<EvacuationSchedule, 'order' | 'maxConcurrent' | 'moves'>,
  name = 'ferry-static',
): LinkPolicy {
  const rank = new Map(schedule.order.map((id, i) => [id, i]));
  const caps = new Map(schedule.moves.map((m) => [m.id, m.maxBandwidth]));
  return {
    name,
    control(running, waiting) {
      const next = [...waiting].sort((a, b) => rank.get(a.id)! - rank.get(b.id)!);
      const admit = next.slice(0, Math.max(0, schedule.maxConcurrent - running.length)).map((m) => m.id);
      return { admit, shares: new Map([...running.map((m) => m.id), ...admit].map((id) => [id, caps.get(id)!])) };
    },
  };
}
