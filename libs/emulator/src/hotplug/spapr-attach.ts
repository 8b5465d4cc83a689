// Attaching a VFIO group on POWER (sPAPR TCE). QEMU tries SPAPR_TCE_v2 first and, when
// VFIO_SET_IOMMU refuses it, retries v1 (vfio_set_iommu, ~2017): a pseries host running
// KVM-PR lacks the v2 group operations ("vfio/powerpc/spapr_tce: Enforce IOMMU type
// compatibility check"), bare-metal powernv with KVM-HV has them. The backend decides the DMA
// windows: v2 can create a 64-bit window (DDW) mapping all guest RAM 1:1; v1 keeps only the
// default 32-bit window at IOVA 0, which holds all RAM 1:1 only if RAM fits in it.
import { GiB } from '../units.js';
import type { GuestState, HostSpec, HotplugEvent, HotplugResult, VfioBackend } from './hotplug-model.js';
import { changed, refused } from './hotplug-result.js';
import { placeOnRootPort } from './pci-slots.js';
import { vfioContainerError } from './qemu-messages.js';
import type { VfioDevice } from './vfio-attach.js';

/** QEMU spapr-pci-host-bridge dma_win_size default. */
const DEFAULT_WINDOW_BYTES = GiB;
/** QEMU spapr-pci-host-bridge dma64_win_addr default (where POWER8+ puts the 64-bit window). */
const DMA64_WINDOW_ADDR = 0x800_0000_0000_0000n;

export function attachSpapr(guest: GuestState, host: HostSpec, device: VfioDevice): HotplugResult {
  const fail = (cause: string) => vfioContainerError(device.hostAddress, device.group.id, cause);
  const placed = placeOnRootPort(guest, {
    id: device.id,
    kind: 'vfio-pci',
    driver: 'vfio-pci',
    bus: device.bus,
    usable: true,
  });
  if (!placed.ok) return refused(guest, placed.code, placed.message);

  const events: HotplugEvent[] = [];
  let backend: VfioBackend | null = guest.vfio?.backend ?? null;
  if (!backend) {
    if (host.vfioBackends.includes('spapr-tce-v2')) {
      if (host.kvm !== 'pr') backend = 'spapr-tce-v2';
      else if (host.vfioBackends.includes('spapr-tce')) {
        backend = 'spapr-tce';
        events.push({
          type: 'VfioBackendFallback',
          from: 'spapr-tce-v2',
          to: 'spapr-tce',
          reason: 'VFIO_SET_IOMMU(SPAPR_TCE_v2) refused: the group lacks v2 operations on a KVM-PR (pseries) host',
        });
      } else {
        return refused(guest, 'VFIO_NO_IOMMU_BACKEND', fail('Failed to set iommu for container: Invalid argument'));
      }
    } else if (host.vfioBackends.includes('spapr-tce')) {
      backend = 'spapr-tce';
    } else {
      return refused(guest, 'VFIO_NO_IOMMU_BACKEND', fail('No available IOMMU models: Invalid argument'));
    }
  }

  const windowBytes = host.spaprDefaultWindowBytes ?? DEFAULT_WINDOW_BYTES;
  const ramBytes = guest.ramBlocks.reduce((sum, b) => sum + b.size, 0n);
  const ramTop = guest.ramBlocks.reduce((top, b) => (b.gpa + b.size > top ? b.gpa + b.size : top), 0n);
  const dmaWindows = [{ start: 0n, end: windowBytes - 1n }];
  if (backend === 'spapr-tce-v2') {
    dmaWindows.push({ start: DMA64_WINDOW_ADDR, end: DMA64_WINDOW_ADDR + roundUpPow2(ramTop) - 1n });
  } else if (ramTop > windowBytes) {
    events.push({ type: 'SpaprDmaWindowLimited', windowBytes, ramBytes });
  }
  const next: GuestState = {
    ...placed.guest,
    vfio: { backend, groups: [...(guest.vfio?.groups ?? []), device.group], mappings: [], dmaWindows },
  };
  return changed(next, 'OK', null, { events });
}

function roundUpPow2(value: bigint): bigint {
  let size = 1n;
  while (size < value) size <<= 1n;
  return size;
}
