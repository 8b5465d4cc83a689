// The fixed part of a switchover: what QEMU does between stopping the guest on the source and
// declaring the downtime over, besides moving the last RAM pages and the device state's bytes.
//
// QEMU 7.2's precopy switchover (migration/migration.c migration_completion and the destination's
// process_incoming_migration_co / _bh), in order, with what each step cost on QEMU 7.2 (TCG, q35
// -nodefaults, an idle 512 MiB guest; `-trace` timestamps of the events named below):
//  1. vm_stop_force_state(FINISH_MIGRATE): kick the vCPUs out of the guest and wait for them,
//     drain and flush block devices (vm_state_notify → migration_completion_vm_stop: 0.3 ms);
//  2. ram_save_complete: the final migration_bitmap_sync walks every RAM block's dirty bitmap
//     (migration_bitmap_sync_start → _end: 31 µs for 131 k pages, i.e. about 0.24 ns a page;
//     a 1 TiB guest's 268 M pages make it ~65 ms);
//  3. qemu_savevm_state_complete_precopy of every non-RAM section (vmstate_save_state_top):
//     per-device CPU work, independent of its few bytes (45 sections: 2.4 ms);
//  4. the destination's qemu_loadvm_state of those sections, which trails the source's save
//     (last section loaded 2.3 ms after the source wrote it);
//  5. process_incoming_migration_bh: vm_start on the destination, then it closes the return
//     path, and the source's await_return_path_close_on_source returns; QEMU's `downtime` ends
//     when the source sets "completed" (vm_state_notify running → completed on the source: 0.4 ms).
// Downtime measured by QEMU for that guest: 6 ms, where moving its bytes takes under 1 ms.
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

/** QEMU 7.2's q35 machine with its default devices, as measured above. */
export const QEMU_Q35_SWITCHOVER: SwitchoverCost = {
  vmStopMs: 0.3,
  finalSyncNsPerPage: 0.24,
  deviceSaveMs: 2.4,
  deviceLoadMs: 2.3,
  resumeMs: 0.4,
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
