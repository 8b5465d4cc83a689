// docs/domain.md#vfio-migration: postcopy carries no VFIO device state; never plan it with VFIO devices.
import type { ConflictSink } from '../../conflict/sink.js';
import type { GuestContext } from '../context.js';

export function postcopyWithVfio(context: GuestContext, sink: ConflictSink): void {
  const { guest } = context;
  if (context.mode !== 'migration' || !context.postcopy || guest.vfioDevices.length === 0) return;
  sink.report('POSTCOPY_WITH_VFIO', 'error', () => ({
    message: `Postcopy was requested, but the guest has VFIO device(s) ${guest.vfioDevices.map((d) => `'${d.id}'`).join(', ')}: postcopy carries no VFIO device state.`,
    evidence: { guestId: guest.id, postcopy: true, vfioDevices: guest.vfioDevices.map((d) => d.id) },
    fact: 'VFIO device state is transferred in the stop-copy phase only; QEMU cannot switch to postcopy with VFIO devices.',
    remedy: 'Plan a pre-copy migration (postcopy: false), or hot-unplug the VFIO devices first.',
  }));
}
