// Ferry's evacuation scheduler: in which order a host's guests leave, how many migrate at once,
// and each one's share (QEMU max-bandwidth) of the one link they all cross. Pure: no clock, no I/O.
//
// The rule, in four parts (each measured with the shared-link simulator on emulated migrations):
// 1. Keep the link full: one stream cannot fill it (a QEMU migration thread without multifd is
//    CPU-bound), so another migration starts while the running streams together could not use
//    the whole link. (Starting the next one early when a migration enters its convergence tail
//    gains nothing: a migration in its tail still sends re-dirtied pages at its full share, and
//    the measured makespan is already within 0.5 % of bytes sent ÷ link.)
// 2. Convergence first: every running migration gets at least its *need*, twice its dirty rate
//    (QEMU's auto-converge throttles the guest once a period dirties more than 50 % of what it
//    sent), or the whole stream when that is more than a stream can do. A migration only starts
//    if the link still has room for its need on top of everyone else's.
// 3. Longest first (LPT): the waiting guest with the longest estimated migration starts first, so
//    the last ones to finish are short. If the first one's need does not fit, the longest one
//    that fits starts instead (backfilling: an idle guest soaks up the room a heavy one can't use).
// 4. Bandwidth above the needs goes to the dirtiest migrations first: what a dirty guest gets
//    saves re-sending, an idle guest sends its RAM once at any speed. (Measured: better in bytes
//    and makespan than a fair split or most-left-to-send-first.)

export interface MoveToSchedule {
  id: string;
  /** Guest RAM in bytes: what pre-copy sends at least once. */
  ramBytes: number;
  /** Bytes per second the guest writes to its memory (the operator's dirty-rate hint); 0 = idle. */
  dirtyBytesPerSecond: number;
  /** Memory it keeps writing to (the operator's working-set hint); default RAM / 8, as emulator-spec.ts assumes. */
  workingSetBytes?: number;
}

export interface SharedLink {
  /** What the link between source and destinations carries, bytes/s. */
  bandwidth: number;
  /**
   * What one migration can push, bytes/s: one QEMU migration thread is CPU-bound (with multifd,
   * channels × what one channel can push). Use the link bandwidth if nothing else limits it.
   */
  perStreamCap: number;
  /** The most migrations at once from this host (its outbound slot limit). */
  maxConcurrent: number;
}

export interface RunningMove extends MoveToSchedule {
  /** Bytes still to send (query-migrate's ram.remaining); ramBytes before the first pass ends. */
  remainingBytes: number;
}

export interface ShareDecision {
  /** Waiting moves to start now, in this order. */
  admit: string[];
  /** max-bandwidth for every running move, the ones admitted now included, bytes/s. */
  shares: Map<string, number>;
}

/** QEMU's throttle trigger is "dirtied > 50 % of sent": a share ≥ 2 × the dirty rate keeps the guest unthrottled. */
export const CONVERGENCE_HEADROOM = 2;
/** The smallest share worth starting a stream for, as a fraction of one stream: below it the link is full. */
export const MIN_SHARE_OF_STREAM = 1 / 8;
/** Auto-converge caps how much a pass re-dirties (it throttles beyond 50 %), so estimates do too. */
const MAX_REDIRTY = 0.5;

/** The most one migration can use: one stream, or the link if that is slower. */
export function streamRate(link: SharedLink): number {
  return Math.min(link.perStreamCap, link.bandwidth);
}

function minShare(link: SharedLink): number {
  return streamRate(link) * MIN_SHARE_OF_STREAM;
}

/**
 * How many streams rule 1 lets run at once: the smallest count after which the link has less room
 * than a minimal share. 10 Gbit/s with 4 Gbit/s streams: 3 (two leave 2 Gbit/s idle).
 */
export function streamsToFillLink(link: Pick<SharedLink, 'bandwidth' | 'perStreamCap'>): number {
  const rate = Math.min(link.perStreamCap, link.bandwidth);
  return Math.floor(link.bandwidth / rate - MIN_SHARE_OF_STREAM) + 1;
}

/** The share a migration must keep to converge without throttling (or the whole stream, if that is less). */
export function needOf(move: MoveToSchedule, link: SharedLink): number {
  return Math.min(streamRate(link), Math.max(CONVERGENCE_HEADROOM * move.dirtyBytesPerSecond, minShare(link)));
}

/** A guest whose need is a whole stream: it runs at full stream speed or not at all. */
export function isHeavy(move: MoveToSchedule, link: SharedLink): boolean {
  return CONVERGENCE_HEADROOM * move.dirtyBytesPerSecond >= streamRate(link);
}

/**
 * What pre-copy will send: RAM once, then what the bulk pass left dirty (at most the working set),
 * re-sent in passes that each shrink by dirty/rate (a geometric series).
 */
export function estimatedBytes(move: MoveToSchedule, rate: number): number {
  const workingSet = move.workingSetBytes ?? move.ramBytes / 8;
  const dirtiedDuringBulk = Math.min(workingSet, (move.dirtyBytesPerSecond * move.ramBytes) / rate);
  return move.ramBytes + dirtiedDuringBulk / (1 - Math.min(MAX_REDIRTY, move.dirtyBytesPerSecond / rate));
}

/** Longest estimated migration first (at full stream speed); ids break ties so the order is stable. */
export function longestFirst(moves: readonly MoveToSchedule[], link: SharedLink): MoveToSchedule[] {
  const rate = streamRate(link);
  return [...moves].sort((a, b) => estimatedBytes(b, rate) - estimatedBytes(a, rate) || a.id.localeCompare(b.id));
}

/**
 * One control step: which waiting moves start now and every running move's share. Call it when a
 * migration ends and every second or so (shares follow what is left to send).
 */
export function decideShares(
  running: readonly RunningMove[],
  waiting: readonly MoveToSchedule[],
  link: SharedLink,
): ShareDecision {
  const rate = streamRate(link);
  const active: RunningMove[] = [...running];
  const admit: string[] = [];
  const queue = longestFirst(waiting, link);
  while (active.length < link.maxConcurrent) {
    // Rule 1: the running streams could fill the link on their own, so nothing more starts.
    if (link.bandwidth - active.length * rate < minShare(link)) break;
    // Rules 2 and 3: the longest waiting move whose need fits next to everyone else's.
    const room = link.bandwidth - active.reduce((sum, m) => sum + needOf(m, link), 0);
    const next = queue.find((m) => !admit.includes(m.id) && needOf(m, link) <= room * (1 + 1e-9));
    if (!next) break;
    admit.push(next.id);
    active.push({ ...next, remainingBytes: next.ramBytes });
  }
  return { admit, shares: allocateShares(active, link) };
}

/** Needs first; the rest to the dirtiest guests first (rule 4), each up to one stream. */
export function allocateShares(running: readonly RunningMove[], link: SharedLink): Map<string, number> {
  const rate = streamRate(link);
  const needs = running.map((m) => needOf(m, link));
  const totalNeed = needs.reduce((a, b) => a + b, 0);
  // Only if the caller runs more than the link can hold: everyone keeps the same fraction of its need.
  const scale = totalNeed > link.bandwidth ? link.bandwidth / totalNeed : 1;
  const shares = new Map(running.map((m, i) => [m.id, needs[i]! * scale]));
  let extra = link.bandwidth - totalNeed * scale;
  // A byte of share given to a dirty guest saves re-sending what it dirties; an idle guest sends
  // its RAM once at any speed. Among equally dirty guests, the one with most left goes first.
  const order = [...running].sort(
    (a, b) =>
      b.dirtyBytesPerSecond - a.dirtyBytesPerSecond || b.remainingBytes - a.remainingBytes || a.id.localeCompare(b.id),
  );
  for (const m of order) {
    const add = Math.min(rate - shares.get(m.id)!, extra);
    if (add <= 0) continue;
    shares.set(m.id, shares.get(m.id)! + add);
    extra -= add;
  }
  return shares;
}
