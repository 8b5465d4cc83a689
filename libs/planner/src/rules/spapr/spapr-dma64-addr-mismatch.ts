// docs/domain.md#spapr-windows: the host hardware fixes where the 64-bit DMA window lives; the guest's dma64_win_addr must match.
import { toHex } from '@ferry/domain';
import type { ConflictSink } from '../../conflict/sink.js';
import type { DestinationContext } from '../context.js';
import { QEMU_DEFAULT_DMA64_WINDOW_ADDR, spaprOf } from './spapr-applies.js';

export function spaprDma64AddrMismatch(context: DestinationContext, sink: ConflictSink): void {
  const spapr = spaprOf(context);
  const hostAddr = spapr?.dma64WindowAddr;
  // Only DDW creates the 64-bit window; without it the address never matters.
  if (!spapr?.ddwUsable || hostAddr === undefined || hostAddr === QEMU_DEFAULT_DMA64_WINDOW_ADDR) return;
  const { host } = context;
  sink.report('SPAPR_DMA64_ADDR_MISMATCH', 'error', () => ({
    message: `The guest's 64-bit DMA window is at ${toHex(QEMU_DEFAULT_DMA64_WINDOW_ADDR)} (QEMU's dma64_win_addr), but ${host.id} places it at ${toHex(hostAddr)}: QEMU fails with "Host doesn't support DMA window at ${toHex(QEMU_DEFAULT_DMA64_WINDOW_ADDR)}, must be ${toHex(hostAddr)}".`,
    evidence: {
      hostId: host.id,
      guestDma64WindowAddr: toHex(QEMU_DEFAULT_DMA64_WINDOW_ADDR),
      hostDma64WindowAddr: toHex(hostAddr),
    },
    fact: 'With VFIO on sPAPR the host hardware fixes window placement; POWER8+ puts the 64-bit window at 0x800000000000000 (hw/vfio/spapr.c).',
    remedy: `Choose a host whose 64-bit window is at ${toHex(QEMU_DEFAULT_DMA64_WINDOW_ADDR)}; changing dma64_win_addr on the guest PHB would have to match on every host it visits.`,
  }));
}
