// What can be plugged into a Ferry-managed VM: virtio devices, each alone on a
// pcie-root-port, and DIMMs of hot-pluggable memory.

export type VirtioDriver = 'virtio-net-pci' | 'virtio-blk-pci';

export interface VirtioDeviceSpec {
  /** QEMU device id: a letter, then letters, digits, '-', '.', '_'. */
  id: string;
  driver: VirtioDriver;
  /** Id of the pcie-root-port that takes the device (rootPortId(n)). */
  port: string;
  /** Offer VIRTIO_F_ACCESS_PLATFORM (bit 33); absent = QEMU's default (off). */
  iommuPlatform?: boolean;
  /**
   * Absent = QEMU's default ("auto": modern-only on a PCIe port). `false` makes the device
   * transitional, which QEMU refuses together with iommuPlatform.
   */
  disableLegacy?: boolean;
  /** virtio-net-pci only; absent = QEMU picks one. */
  mac?: string;
  /** virtio-blk-pci only: size of the null-co block node behind it (default 1 GiB). */
  diskSizeBytes?: number;
}

export interface DimmSpec {
  /** pc-dimm device id; its RAM backend is `mem-<id>`. */
  id: string;
  sizeBytes: number;
  /**
   * Guest-physical base address and slot. Left to QEMU on hot-plug, then read back with
   * query-memory-devices, so a migration destination gets the very same layout.
   */
  addr?: bigint;
  slot?: number;
}

const QEMU_ID = /^[A-Za-z][A-Za-z0-9._-]*$/;

/** QEMU's rule for ids (util/id.c id_wellformed). */
export function isWellFormedId(id: string): boolean {
  return QEMU_ID.test(id);
}

export function rootPortId(index: number): string {
  return `rp${index}`;
}

export function dimmBackendId(dimmId: string): string {
  return `mem-${dimmId}`;
}

export function diskNodeName(deviceId: string): string {
  return `disk-${deviceId}`;
}
