// Does a guest's RAM touch a host's forbidden ranges? The matrix asks this per cell, so answers are
// memoised: most hosts report the same ranges — the MSI window, the HT hole — and a guest's answer for
// one such set is its answer for every host that has it. Sets are interned by content; each row
// remembers its answer per interned set.
import { DEVICE_CLASSES, toHex } from '@ferry/domain';
import type { PreparedGuest } from '../../libs/planner/src/prepare/prepared-guest.js';
import type { PreparedHost } from '../../libs/planner/src/prepare/prepared-host.js';
import { setOverlapsAny, toRangeSet, type RangeSet } from '../../libs/planner/src/prepare/range-set.js';

/** Interns range sets by content; ids only grow (a fleet has few distinct sets). */
export class RangeSetIds {
  private readonly ids = new Map<string, number>();
  readonly sets: RangeSet[] = [];

  idOf(set: RangeSet): number {
    const key = set.map((r) => `${toHex(r.start)}-${toHex(r.end)}`).join(',');
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.sets.length;
      this.ids.set(key, id);
      this.sets.push(set);
    }
    return id;
  }
}

/** Per host column: the interned forbidden set each kind of request may meet. */
export interface ColumnUnions {
  /** Indexed like DEVICE_CLASSES; -1 where the host has no device of the class. */
  byClass: readonly number[];
  /** For requests naming neither a class nor an address: every group. */
  anyDevice: number;
  byAddress: ReadonlyMap<string, number>;
  /** Per group, in host.groups order: its reserved set and its msi set (-1 when empty). */
  groupSets: readonly number[];
}

export function columnUnions(host: PreparedHost, ids: RangeSetIds): ColumnUnions {
  return {
    byClass: DEVICE_CLASSES.map((deviceClass) => {
      const set = host.classForbiddenUnion.get(deviceClass);
      return set ? ids.idOf(set) : -1;
    }),
    anyDevice: ids.idOf(host.groupForbiddenUnion),
    byAddress: new Map(
      host.allDevices.map((d) => [d.address, ids.idOf(toRangeSet([...d.group.reservedSet, ...d.group.msiSet]))]),
    ),
    groupSets: host.groups.flatMap((g) =>
      [g.reservedSet, g.msiSet].map((set) => (set.length > 0 ? ids.idOf(set) : -1)),
    ),
  };
}

/** Per guest row: for each request its DEVICE_CLASSES index (-1: by address, -2: any device); and answers per interned set: 0 not yet asked, 1 misses, 2 overlaps. */
export interface TouchMemo {
  classIndexes: readonly number[];
  answers: Uint8Array;
}

export function touchMemo(guest: PreparedGuest, knownSets: number): TouchMemo {
  return {
    classIndexes: guest.migrationRequests.map((r) =>
      r.hostDevice ? -1 : r.deviceClass ? DEVICE_CLASSES.indexOf(r.deviceClass as (typeof DEVICE_CLASSES)[number]) : -2,
    ),
    answers: new Uint8Array(knownSets),
  };
}

/**
 * Could any device request of this guest meet a group whose reserved or MSI ranges overlap its RAM?
 * When not, the per-device rules find nothing that depends on the guest's addresses.
 */
export function mayTouchForbidden(
  guest: PreparedGuest,
  unions: ColumnUnions,
  ids: RangeSetIds,
  memo: TouchMemo,
): boolean {
  if (!guest.identityMapped) return false;
  const requests = guest.migrationRequests;
  for (let i = 0; i < requests.length; i++) {
    const classIndex = memo.classIndexes[i]!;
    const id =
      classIndex >= 0
        ? unions.byClass[classIndex]!
        : classIndex === -2
          ? unions.anyDevice
          : (unions.byAddress.get(requests[i]!.hostDevice!) ?? -1);
    if (id >= 0 && touches(guest, id, ids, memo)) return true;
  }
  return false;
}

/** Groups a number can describe exactly, two bits each: bit 2i reserved, bit 2i + 1 msi. */
const MASK_GROUPS = 26;

/**
 * Which of the host's groups the guest's RAM touches — what the per-device rules' findings depend on,
 * guest-wise, once it touches any. undefined for hosts with more groups than the mask can hold.
 */
export function overlapMask(
  guest: PreparedGuest,
  unions: ColumnUnions,
  ids: RangeSetIds,
  memo: TouchMemo,
): number | undefined {
  const sets = unions.groupSets;
  if (sets.length > 2 * MASK_GROUPS) return undefined;
  let mask = 0;
  for (let i = 0; i < sets.length; i++) {
    const id = sets[i]!;
    if (id >= 0 && touches(guest, id, ids, memo)) mask += 2 ** i;
  }
  return mask;
}

function touches(guest: PreparedGuest, id: number, ids: RangeSetIds, memo: TouchMemo): boolean {
  if (id >= memo.answers.length) {
    const grown = new Uint8Array(Math.max(id + 1, memo.answers.length * 2, 16));
    grown.set(memo.answers);
    memo.answers = grown;
  }
  let answer = memo.answers[id]!;
  if (answer === 0) memo.answers[id] = answer = setOverlapsAny(ids.sets[id]!, guest.dmaRanges) ? 2 : 1;
  return answer === 2;
}
