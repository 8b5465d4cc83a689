// The matrix's storage, in its own file so the query code can read it without importing the matrix.
import type { GuestState, HostState } from '@ferry/domain';
import type { HostOccupancy } from '../prepare/occupancy.js';
import type { PreparedGuest } from '../prepare/prepared-guest.js';
import type { PreparedHost } from '../prepare/prepared-host.js';
import type { ProfileCache } from './migration-cell.js';
import type { ColumnUnions, TouchMemo } from './touch-memo.js';

export interface HostColumn {
  state: HostState;
  host: PreparedHost;
  slot: number;
  occupancy: HostOccupancy;
  /** Findings shared by guests with the same profile (see migration-cell.ts). */
  profiles: ProfileCache;
  unions: ColumnUnions;
}

export interface GuestRow {
  state: GuestState;
  guest: PreparedGuest;
  /** Numbers guest.profileKey: rows with equal keys share cached profile findings per column. */
  profileId: number;
  /** Whether the guest's RAM meets each interned forbidden set (touch-memo.ts). */
  touch: TouchMemo;
  /** Findings that do not depend on the destination: merged into each migration cell when read. */
  guestSet: number;
  /** Per host slot: code-set id + 1, or 0 where there is no cell (the guest's own host, a free slot). */
  cells: Uint32Array;
  /** One per reservation, on the host the guest runs on now. */
  hotplug: { reservationId: string; set: number }[];
}
