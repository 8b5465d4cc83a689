// The sPAPR rules concern VFIO devices of pseries guests on POWER hosts: TCE windows, not IOVA = GPA (docs/domain.md#layout-pseries).
import { formatSize, GiB, KiB, MiB, machineAtLeast } from '@ferry/domain';
import type { PreparedSpapr } from '../../prepare/prepared-spapr.js';
import type { DestinationContext } from '../context.js';

export function spaprOf(context: DestinationContext): PreparedSpapr | undefined {
  if (!context.assignsVfio || context.guest.machine.family !== 'pseries') return undefined;
  return context.host.spapr;
}

/** QEMU spapr-pci-host-bridge default 32-bit window: dma_win_addr=0, dma_win_size=1 GiB (docs/domain.md#spapr-windows). */
export const QEMU_DEFAULT_DMA32_WINDOW = { start: 0n, end: GiB - 1n };
/** QEMU dma64_win_addr default, where POWER8+ hardware puts the 64-bit window (docs/domain.md#spapr-windows). */
export const QEMU_DEFAULT_DMA64_WINDOW_ADDR = 0x800_0000_0000_0000n;

/** The PHB pgsz mask: 4K|64K for pseries ≤ 4.1, 4K|64K|2M|16M from pseries-4.2 (docs/domain.md#spapr-windows). */
export function guestTcePageSizes(context: DestinationContext): bigint[] {
  return machineAtLeast(context.guest.machine, 4, 2)
    ? [4n * KiB, 64n * KiB, 2n * MiB, 16n * MiB]
    : [4n * KiB, 64n * KiB];
}

export const sizesJson = (sizes: readonly bigint[]) => sizes.map(formatSize);
