// The fixed part of a switchover: what QEMU does between stopping the guest on the source and
// declaring the downtime over, besides moving the last RAM pages and the device state's bytes.
//
// QEMU 7.2's precopy switchover (migration/migration.c migration_completion and the destination's
// process_incoming_migration_co / _bh), in order. Each step was timed with `-trace` timestamps of
// the events named below, on QEMU 7.2 (TCG, q35 -nodefaults, an idle 512 MiB guest, this 2-core
// shared host), four switchovers; the defaults are the medians (ranges in brackets):
//  1. vm_stop_force_state(FINISH_MIGRATE): kick the vCPUs out of the guest and wait for them,
//     drain and flush block devices (vm_state_notify → savevm_state_complete_precopy: 0.45 ms
//     [0.3–0.56]);
//  2. ram_save_complete: the final migration_bitmap_sync walks every RAM block's dirty bitmap
//     (migration_bitmap_sync_start → _end: 31–50 µs for 131 k pages, about 0.24–0.38 ns a page;
//     a 1 TiB guest's 268 M pages make it ~65 ms);
//  3. qemu_savevm_state_complete_precopy of every non-RAM section (vmstate_save_state_top):
//     per-device CPU work, independent of its few bytes (45 sections: 5.25 ms [0.95–8.5]);
//  4. the destination's qemu_loadvm_state of those sections, which trails the source's save
//     (its last section loaded after the source wrote it: 3.95 ms [2.3–4.8]);
//  5. process_incoming_migration_bh: vm_start on the destination, then it closes the return
//     path, and the source's await_return_path_close_on_source returns; QEMU's `downtime` ends
//     when the source sets "completed" (destination running → source completed: 0.77 ms [0.4–0.84]).
// QEMU's downtime for that guest: 5–15 ms, where moving its bytes takes under 1 ms. The spread is
// the host's: each step is a thread of one of two QEMUs waiting for a CPU.
// Post-copy stops the guest and saves and loads the same device sections before the
// destination runs, so the same steps apply at the switch to post-copy.
import { EmulatorSpecError } from '../spec-error.js';

export interface SwitchoverCost {
  /** Step 1: stopping the vCPUs and flushing devices, ms. */
  vmStopMs: number;
  /** Step 2: the final dirty-bitmap walk, ns per guest page. */
  finalSyncNsPerPage: number;
  /** Step 3: saving the non-RAM device sections on the source, ms. */
  deviceSaveMs: number;
  /** Step 4: the destination loading them, as far as it trails the source, ms. */
  deviceLoadMs: number;
  /** Step 5: vm_start on the destination and the return path's close reaching the source, ms. */
  resumeMs: number;
}

/** QEMU 7.2's q35 machine with its default devices: the medians measured above. */
export const QEMU_Q35_SWITCHOVER: SwitchoverCost = {
  vmStopMs: 0.45,
  finalSyncNsPerPage: 0.3,
  deviceSaveMs: 5.25,
  deviceLoadMs: 3.95,
  resumeMs: 0.77,
};

/** The fixed cost of one switchover for a guest of `pages` pages, ms (fractional). */
export function switchoverFixedMs(cost: SwitchoverCost, pages: number): number {
  return (
    cost.vmStopMs + (cost.finalSyncNsPerPage * pages) / 1e6 + cost.deviceSaveMs + cost.deviceLoadMs + cost.resumeMs
  );
}

export function resolveSwitchoverCost(given: Partial<SwitchoverCost> | undefined): SwitchoverCost {
  const cost = { ...QEMU_Q35_SWITCHOVER, ...given };
  for (const [name, value] of Object.entries(cost)) {
    if (!(value >= 0) || !Number.isFinite(value))
      throw new EmulatorSpecError('INVALID_MIGRATION', `switchover.${name} must be a finite number ≥ 0`);
  }
  return cost;
}
