// docs/domain.md#spapr-windows, #thread-power-dma-windows: without DDW only the 32-bit window exists; all guest RAM cannot be mapped 1:1 in it.
import { formatRange, formatSize, rangeSize, toHex } from '@ferry/domain';
import { hexRange } from '../../conflict/conflict.js';
import type { ConflictSink } from '../../conflict/sink.js';
import type { DestinationContext } from '../context.js';
import { QEMU_DEFAULT_DMA32_WINDOW, spaprOf } from './spapr-applies.js';

export function spaprWindowTooSmall(context: DestinationContext, sink: ConflictSink): void {
  const spapr = spaprOf(context);
  if (!spapr?.effective || spapr.ddwUsable || !spapr.dma32Window) return;
  const { host, guest } = context;
  const window = spapr.dma32Window;
  const windowSize = rangeSize(window);
  const why = spapr.fellBack
    ? 'the v1 fallback'
    : spapr.effective === 'spapr-tce-v1'
      ? 'spapr-tce-v1'
      : 'ddw disabled on the host';
  const evidence = {
    hostId: host.id,
    effectiveBackend: spapr.effective,
    ddwUsable: false,
    hostDma32Window: { ...hexRange(window), size: formatSize(windowSize) },
    guestMaxMemory: formatSize(guest.maxMemory),
  };

  // A guest that used DDW on its source has a 64-bit window in its PHB state; the destination cannot recreate it.
  if (guest.maxMemory > windowSize) {
    sink.report('SPAPR_WINDOW_TOO_SMALL', 'error', () => ({
      message: `With ${why} on ${host.id}, devices DMA only through the ${formatSize(windowSize)} 32-bit window ${formatRange(window)}; the guest's ${formatSize(guest.maxMemory)} of RAM cannot be mapped 1:1, and a 64-bit DDW window the guest created on its source cannot be recreated ("Failed to create a window").`,
      evidence,
      fact: 'POWER gives each PE a small 32-bit DMA window and, with v2 only, a large 64-bit window via DDW; v1 keeps just the default window.',
      remedy: `Keep the guest's RAM (max) within ${formatSize(windowSize)}, or choose a KVM-HV powernv host with spapr-tce-v2 and DDW.`,
    }));
  }
  // v1 cannot create windows: QEMU's default guest window must already lie inside the host's.
  const inside = window.start <= QEMU_DEFAULT_DMA32_WINDOW.start && QEMU_DEFAULT_DMA32_WINDOW.end <= window.end;
  if (spapr.effective === 'spapr-tce-v1' && !inside) {
    sink.report('SPAPR_WINDOW_TOO_SMALL', 'error', () => ({
      message: `${host.id}'s 32-bit DMA window ${formatRange(window)} does not cover QEMU's default guest window ${formatRange(QEMU_DEFAULT_DMA32_WINDOW)}; with v1 QEMU cannot create windows and fails with "Container … can't map guest IOVA region ${toHex(QEMU_DEFAULT_DMA32_WINDOW.start)}..${toHex(QEMU_DEFAULT_DMA32_WINDOW.end)}".`,
      evidence: { ...evidence, guestDma32Window: hexRange(QEMU_DEFAULT_DMA32_WINDOW) },
      fact: "With spapr-tce-v1 the host hardware fixes the window; QEMU maps the guest's default window into it and fails when it does not fit (hw/vfio/spapr.c).",
      remedy: `Shrink the guest PHB's dma_win_size to fit ${formatRange(window)}, or choose a host with a larger default window or working v2.`,
    }));
  }
}
