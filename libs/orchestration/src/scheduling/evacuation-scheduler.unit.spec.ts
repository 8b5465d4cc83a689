// Each rule of the scheduler fires on its case and stays silent on the near miss next to it.
// Rates are in Gbit/s-like units to keep the tables readable: a 10 link, one stream ≤ 4, so the
// smallest share worth a stream is 0.5 and a guest dirtying ≥ 2 needs a whole stream.
import { describe, expect, it } from 'vitest';
import {
  allocateShares,
  decideShares,
  estimatedBytes,
  isHeavy,
  longestFirst,
  needOf,
  type MoveToSchedule,
  type RunningMove,
  type SharedLink,
} from './evacuation-scheduler.js';

const LINK: SharedLink = { bandwidth: 10, perStreamCap: 4, maxConcurrent: 8 };
const GiB = 2 ** 30;
const move = (id: string, ramGiB: number, dirty = 0, extra: Partial<MoveToSchedule> = {}): MoveToSchedule => ({
  id,
  ramBytes: ramGiB * GiB,
  dirtyBytesPerSecond: dirty,
  ...extra,
});
const running = (m: MoveToSchedule, remainingBytes = m.ramBytes): RunningMove => ({ ...m, remainingBytes });
const idle = (id: string, gib = 8) => move(id, gib, 0);
const heavy = (id: string, gib = 8) => move(id, gib, 2.5);

describe('what a migration needs to converge', () => {
  it.each([
    { case: 'an idle guest: the smallest share worth a stream', dirty: 0, need: 0.5, heavy: false },
    { case: 'a light guest still gets the smallest share', dirty: 0.2, need: 0.5, heavy: false },
    { case: 'a medium guest: twice its dirty rate', dirty: 1, need: 2, heavy: false },
    { case: 'near miss: just under half a stream is not heavy yet', dirty: 1.99, need: 3.98, heavy: false },
    { case: 'half a stream: heavy, the whole stream', dirty: 2, need: 4, heavy: true },
    { case: 'faster than a stream: still one whole stream, never more', dirty: 5, need: 4, heavy: true },
  ])('$case', ({ dirty, need, heavy: expectedHeavy }) => {
    // Given a guest dirtying `dirty`, when asked, then it needs `need` and is heavy or not.
    expect(needOf(move('g', 8, dirty), LINK)).toBeCloseTo(need, 9);
    expect(isHeavy(move('g', 8, dirty), LINK)).toBe(expectedHeavy);
  });
});

describe('rule 1: keep the link full', () => {
  it.each([
    { case: 'two streams leave 2 of 10 unused: a third starts', link: LINK, runningIds: ['a', 'b'], admitted: ['c'] },
    {
      case: 'near miss: two streams leave 0.4 of 8.4 unused: nothing starts',
      link: { ...LINK, bandwidth: 8.4 },
      runningIds: ['a', 'b'],
      admitted: [],
    },
    {
      case: 'an empty link takes streams until they can fill it',
      link: LINK,
      runningIds: [],
      admitted: ['a', 'b', 'c'],
    },
    {
      case: 'the slot limit stops it first',
      link: { ...LINK, maxConcurrent: 2 },
      runningIds: [],
      admitted: ['a', 'b'],
    },
  ])('$case', ({ link, runningIds, admitted }) => {
    const all = ['a', 'b', 'c', 'd'].map((id) => idle(id));
    const given = all.filter((m) => runningIds.includes(m.id)).map((m) => running(m));
    const waiting = all.filter((m) => !runningIds.includes(m.id));
    expect(decideShares(given, waiting, link).admit).toEqual(admitted);
  });

  it('stays silent with nothing waiting, and only re-splits the link', () => {
    const decision = decideShares([running(idle('a')), running(idle('b'))], [], LINK);
    expect(decision.admit).toEqual([]);
    expect([...decision.shares.values()]).toEqual([4, 4]);
  });
});

describe('rules 2 and 3: the longest first, if its need fits; otherwise the longest that fits', () => {
  it('two heavy streams leave room 2: a waiting heavy guest is passed over for an idle one (backfill)', () => {
    const decision = decideShares(
      [running(heavy('h1')), running(heavy('h2'))],
      [heavy('h3', 64), idle('small', 2)],
      LINK,
    );
    expect(decision.admit).toEqual(['small']);
    expect(decision.shares.get('h1')).toBe(4);
    expect(decision.shares.get('h2')).toBe(4);
    expect(decision.shares.get('small')).toBe(2);
  });

  it('near miss: a heavy and a medium (need 1.9) leave room 4.1, so the heavy guest starts', () => {
    const decision = decideShares(
      [running(heavy('h1')), running(move('m', 8, 0.95))],
      [heavy('h3', 64), idle('small', 2)],
      LINK,
    );
    expect(decision.admit).toEqual(['h3']);
    expect(decision.shares.get('h3')).toBe(4);
    expect(decision.shares.get('m')).toBeCloseTo(2, 9);
  });

  it('starts nothing when no waiting need fits', () => {
    const given = [running(move('m1', 8, 1.5)), running(move('m2', 8, 1.5))]; // needs 3 + 3, room 4 …
    expect(decideShares(given, [move('w', 8, 2.1)], { ...LINK, perStreamCap: 4.5 }).admit).toEqual([]); // … a need of 4.2 does not fit
    expect(decideShares(given, [move('w', 8, 1.9)], { ...LINK, perStreamCap: 4.5 }).admit).toEqual(['w']); // 3.8 does
  });

  it.each([
    { case: 'bigger first', moves: [idle('a', 4), idle('b', 16), idle('c', 8)], order: ['b', 'c', 'a'] },
    { case: 'same size: the dirtier one has more to send', moves: [idle('a', 8), move('b', 8, 1)], order: ['b', 'a'] },
    { case: 'same estimate: by id, so the order is stable', moves: [idle('b', 8), idle('a', 8)], order: ['a', 'b'] },
    // 15 GiB dirtying 1.6 with a 2 GiB working set re-sends 2 / (1 − 0.4) ≈ 3.3 GiB: 18.3 > 16.
    {
      case: 'a smaller guest whose re-sends outweigh the difference goes first',
      moves: [idle('big', 16), move('hot', 15, 1.6, { workingSetBytes: 2 * GiB })],
      order: ['hot', 'big'],
    },
    {
      case: 'near miss: with a 0.5 GiB working set it re-sends 0.8 GiB: 15.8 < 16',
      moves: [idle('big', 16), move('hot', 15, 1.6, { workingSetBytes: 0.5 * GiB })],
      order: ['big', 'hot'],
    },
  ])('longest estimated migration first: $case', ({ moves, order }) => {
    expect(longestFirst(moves, LINK).map((m) => m.id)).toEqual(order);
  });
});

describe('rule 4: shares above the needs', () => {
  it('a heavy guest gets its whole stream next to two idle ones, who split the rest by what they have left', () => {
    const shares = allocateShares(
      [running(idle('i1'), 1 * GiB), running(heavy('h')), running(idle('i2'), 6 * GiB)],
      LINK,
    );
    expect(Object.fromEntries(shares)).toEqual({ h: 4, i2: 4, i1: 2 });
  });

  it('the dirtiest guest is topped up to a stream before an idle one', () => {
    const shares = allocateShares([running(idle('i1')), running(idle('i2')), running(move('m', 8, 1))], LINK);
    expect(shares.get('m')).toBe(4); // need 2, topped up by 2
    expect(shares.get('i1')! + shares.get('i2')!).toBeCloseTo(6, 9);
  });

  it('near miss: with a link to spare, every stream gets its whole rate and the link is not over-sold', () => {
    const shares = allocateShares([running(idle('i1')), running(move('m', 8, 1))], LINK);
    expect([...shares.values()]).toEqual([4, 4]);
  });

  it('more heavy guests than the link holds (only if the caller forced them): each keeps the same fraction of its need', () => {
    const shares = allocateShares([running(heavy('a')), running(heavy('b')), running(heavy('c'))], LINK);
    for (const share of shares.values()) expect(share).toBeCloseTo(10 / 3, 9);
  });

  it.each([1, 2, 3, 4, 5, 6])(
    'holds its invariants with %i running: each share ≥ its need, ≤ one stream, all ≤ the link',
    (n) => {
      const kinds = [
        idle('i', 4),
        move('l', 8, 0.1),
        move('m', 16, 0.8),
        heavy('h', 32),
        move('x', 2, 1.2),
        idle('j', 64),
      ];
      const given = kinds.slice(0, n).map((m, i) => running(m, (i + 1) * GiB));
      const decision = decideShares(given, [], LINK);
      const total = [...decision.shares.values()].reduce((a, b) => a + b, 0);
      expect(total).toBeLessThanOrEqual(10 + 1e-9);
      for (const m of given) {
        expect(decision.shares.get(m.id)!).toBeGreaterThanOrEqual(Math.min(needOf(m, LINK), 10 / n) - 1e-9);
        expect(decision.shares.get(m.id)!).toBeLessThanOrEqual(4);
      }
    },
  );
});

describe('estimated bytes', () => {
  it.each([
    { case: 'an idle guest sends its RAM once', m: idle('a', 8), rate: 4, bytes: 8 * GiB },
    {
      case: 'a dirty guest adds its working set, re-sent in shrinking passes',
      m: move('a', 8, 1, { workingSetBytes: 1 * GiB }),
      rate: 4,
      bytes: 8 * GiB + GiB / (1 - 0.25),
    },
    {
      case: 'auto-converge caps the re-dirtying at half of what is sent',
      m: move('a', 8, 3, { workingSetBytes: 1 * GiB }),
      rate: 4,
      bytes: 8 * GiB + GiB / 0.5,
    },
    {
      case: 'a short bulk pass dirties less than the working set',
      m: move('a', 1, 0.4, { workingSetBytes: 1 * GiB }),
      rate: 4,
      bytes: GiB + (0.1 * GiB) / 0.9,
    },
  ])('$case', ({ m, rate, bytes }) => {
    expect(estimatedBytes(m, rate)).toBeCloseTo(bytes, 0);
  });
});
