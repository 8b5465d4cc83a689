// The matrix's shortcut for mayTouchForbidden (evaluate/may-touch-forbidden.ts). Most hosts report the
// same forbidden ranges for a device class — the MSI window, the HT hole — so a guest's answer for one
// such set is its answer for every host that has it. Sets are interned by content; each row remembers
// its answer per interned set.
import { DEVICE_CLASSES, toHex } from '@ferry/domain';
import type { PreparedGuest } from '../prepare/prepared-guest.js';
import type { PreparedHost } from '../prepare/prepared-host.js';
import { setOverlapsAny, type RangeSet } from '../prepare/range-set.js';

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
}

export function columnUnions(host: PreparedHost, ids: RangeSetIds): ColumnUnions {
  return {
    byClass: DEVICE_CLASSES.map((deviceClass) => {
      const set = host.classForbiddenUnion.get(deviceClass);
      return set ? ids.idOf(set) : -1;
    }),
    anyDevice: ids.idOf(host.groupForbiddenUnion),
    byAddress: new Map(host.allDevices.map((d) => [d.address, ids.idOf([...d.group.reservedSet, ...d.group.msiSet].sort((a, b) => (a.start < b.start ? -1 : 1)))])),
  };
}

/** Per guest row: for each request its DEVICE_CLASSES index (-1: by address, -2: any device); and answers per interned set: 0 not yet asked, 1 misses, 2 overlaps. */
export interface TouchMemo {
  classIndexes: readonly number[];
  answers: Uint8Array;
}

export function touchMemo(guest: PreparedGuest, knownSets: number): TouchMemo {
  return {
    classIndexes: guest.migrationRequests.map((r) => (r.hostDevice ? -1 : r.deviceClass ? DEVICE_CLASSES.indexOf(r.deviceClass as (typeof DEVICE_CLASSES)[number]) : -2)),
    answers: new Uint8Array(knownSets),
  };
}

export function mayTouchForbiddenMemo(guest: PreparedGuest, unions: ColumnUnions, ids: RangeSetIds, memo: TouchMemo): boolean {
  if (!guest.identityMapped) return false;
  const requests = guest.migrationRequests;
  for (let i = 0; i < requests.length; i++) {
    const classIndex = memo.classIndexes[i]!;
    const id = classIndex >= 0 ? unions.byClass[classIndex]! : classIndex === -2 ? unions.anyDevice : (unions.byAddress.get(requests[i]!.hostDevice!) ?? -1);
    if (id < 0) continue;
    if (id >= memo.answers.length) {
      const grown = new Uint8Array(Math.max(id + 1, memo.answers.length * 2, 16));
      grown.set(memo.answers);
      memo.answers = grown;
    }
    let answer = memo.answers[id]!;
    if (answer === 0) memo.answers[id] = answer = setOverlapsAny(ids.sets[id]!, guest.dmaRanges) ? 2 : 1;
    if (answer === 2) return true;
  }
  return false;
}
