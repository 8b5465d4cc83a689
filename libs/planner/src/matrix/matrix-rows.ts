// The matrix's storage, in its own file so the query and tally code can read it without importing the matrix.
import type { GuestState, HostState } from '@ferry/domain';
import type { HostOccupancy } from '../prepare/occupancy.js';
import type { PreparedGuest } from '../prepare/prepared-guest.js';
import type { PreparedHost } from '../prepare/prepared-host.js';

export interface HostColumn {
  state: HostState;
  host: PreparedHost;
  occupancy: HostOccupancy;
  /** Its column class (class-table.ts): the host's facts plus the addresses its guests hold. */
  classId: number;
  /** Host memory minus its guests' maxmem, in bytes (a double: exact below 8 PiB). */
  free: number;
  unschedulable: boolean;
}

export interface GuestRow {
  state: GuestState;
  guest: PreparedGuest;
  classId: number;
  maxMemory: number;
  /** Findings that do not depend on the destination: merged into each migration cell when read. */
  guestSet: number;
  /** One per reservation, on the host the guest runs on now. */
  hotplug: { reservationId: string; set: number }[];
}
