// The whole evacuation planned up front, for callers that set each migration's parameters once
// (requestEvacuation records every migration at request time): the scheduler's decisions replayed
// on a fluid model in which each migration sends its estimated bytes at its share.
import {
  decideShares,
  estimatedBytes,
  isHeavy,
  streamRate,
  type MoveToSchedule,
  type RunningMove,
  type SharedLink,
} from './evacuation-scheduler.js';

export interface PlannedMove {
  id: string;
  /** Estimated start and end, seconds after the evacuation begins. */
  startS: number;
  endS: number;
  /** Its share over time, bytes/s from `fromS` on (what a live controller would set as max-bandwidth). */
  bandwidthPlan: { fromS: number; bytesPerSecond: number }[];
  /**
   * max-bandwidth to record in the migration's policy when nothing changes it while it runs: one
   * whole stream. Measured (bench/evacuation.bench.ts): fixed caps below a stream leave the link
   * part idle whenever the guests that got them run together, and lose to letting the link split.
   */
  maxBandwidth: number;
  heavy: boolean;
}

export interface EvacuationSchedule {
  /** Request and start the moves in this order. */
  order: string[];
  /** The most that run at once: the host's outbound slot limit should allow this many. */
  maxConcurrent: number;
  moves: PlannedMove[];
  estimatedMakespanS: number;
  /** Total RAM ÷ link bandwidth: no schedule can beat it. */
  lowerBoundS: number;
}

export function scheduleEvacuation(moves: readonly MoveToSchedule[], link: SharedLink): EvacuationSchedule {
  const ids = new Set(moves.map((m) => m.id));
  if (ids.size !== moves.length) throw new Error('scheduleEvacuation: move ids must be unique');
  if (!(link.bandwidth > 0 && link.perStreamCap > 0 && link.maxConcurrent >= 1))
    throw new Error('scheduleEvacuation: the link needs a positive bandwidth, stream cap and slot limit');
  const waiting = [...moves];
  const running = new Map<string, { move: MoveToSchedule; left: number }>();
  const planned = new Map<string, PlannedMove>();
  let now = 0;
  let peak = 0;
  while (waiting.length > 0 || running.size > 0) {
    const views: RunningMove[] = [...running.values()].map(({ move, left }) => ({ ...move, remainingBytes: left }));
    const decision = decideShares(views, waiting, link);
    for (const id of decision.admit) {
      const move = waiting.splice(
        waiting.findIndex((m) => m.id === id),
        1,
      )[0]!;
      running.set(id, { move, left: estimatedBytes(move, decision.shares.get(id)!) });
      planned.set(id, {
        id,
        startS: now,
        endS: now,
        bandwidthPlan: [],
        maxBandwidth: Math.floor(streamRate(link)),
        heavy: isHeavy(move, link),
      });
    }
    peak = Math.max(peak, running.size);
    for (const id of running.keys()) {
      const plan = planned.get(id)!.bandwidthPlan;
      const share = decision.shares.get(id)!;
      if (plan.at(-1)?.bytesPerSecond !== share) plan.push({ fromS: now, bytesPerSecond: share });
    }
    // Advance to the next end of a migration: shares only change when one ends.
    const dt = Math.min(...[...running].map(([id, r]) => r.left / decision.shares.get(id)!));
    now += dt;
    for (const [id, r] of running) {
      r.left -= decision.shares.get(id)! * dt;
      if (r.left > r.move.ramBytes * 1e-9) continue;
      planned.get(id)!.endS = now;
      running.delete(id);
    }
  }
  const order = [...planned.values()].sort((a, b) => a.startS - b.startS).map((p) => p.id);
  const totalRam = moves.reduce((sum, m) => sum + m.ramBytes, 0);
  return {
    order,
    maxConcurrent: peak,
    moves: order.map((id) => planned.get(id)!),
    estimatedMakespanS: now,
    lowerBoundS: totalRam / link.bandwidth,
  };
}
