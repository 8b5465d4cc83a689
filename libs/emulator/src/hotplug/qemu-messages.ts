// Error texts as the kernel and QEMU print them, in one place. Pointers in QEMU's messages
// (the container object, the host virtual address of guest RAM) are synthetic here but
// deterministic, so reports stay byte-identical between runs.
import type { RamBlockSpec } from '../memory/guest-memory.js';
import { hex } from '../units.js';

const SYNTHETIC_CONTAINER_BASE = 0x55d0_0000_0000n;
const SYNTHETIC_HVA_BASE = 0x7f00_0000_0000n;

/** vfio_container_connect / vfio_attach_device wrap every container failure this way. */
export function vfioContainerError(hostAddress: string, group: number, cause: string): string {
  return `vfio ${hostAddress}: failed to setup container for group ${group}: ${cause}`;
}

/** vfio_container_region_add: "Region <mr>: vfio_container_dma_map(container, iova, size, vaddr) = -errno (strerror)". */
export function dmaMapError(group: number, block: RamBlockSpec, blockIndex: number, errno: number): string {
  const container = SYNTHETIC_CONTAINER_BASE + BigInt(group) * 0x1000n;
  const vaddr = SYNTHETIC_HVA_BASE + BigInt(blockIndex) * 0x100_0000_0000n;
  return `Region ${block.name}: vfio_container_dma_map(${hex(container)}, ${hex(block.gpa)}, ${hex(block.size)}, ${hex(vaddr)}) = -${errno} (${strerror(errno)})`;
}

export const EINVAL = 22;
export const EPERM = 1;
export const EFAULT = 14;

export function strerror(errno: number): string {
  switch (errno) {
    case EINVAL:
      return 'Invalid argument';
    case EPERM:
      return 'Operation not permitted';
    case EFAULT:
      return 'Bad address';
    default:
      return `Unknown error ${errno}`;
  }
}

/** drivers/iommu/iommu.c since "iommu: Prevent RESV_DIRECT devices from blocking domains" (~v6.6). */
export const KERNEL_DIRECT_REGION_REJECT =
  'Firmware has requested this device have a 1:1 IOMMU mapping, rejecting configuring the device without a 1:1 mapping. Contact your platform vendor.';

/** drivers/vfio/vfio_iommu_type1.c, vfio_iommu_type1_attach_group without MSI isolation. */
export const KERNEL_NO_INTERRUPT_REMAPPING =
  'No interrupt remapping support.  Use the module param "allow_unsafe_interrupts" to enable VFIO IOMMU support on this platform';

/** hw/vfio: a RAM section added after the container is live cannot be refused, so QEMU aborts. */
export const QEMU_DMA_MAP_FATAL = 'vfio: DMA mapping failed, unable to continue';
