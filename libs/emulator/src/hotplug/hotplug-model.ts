// Plain data of the hot-plug model: a host's IOMMU facts, a guest's devices and IOMMU state,
// the device to add, and what happened.
import type { RamBlockSpec } from '../memory/guest-memory.js';
import type { IovaRange, ReservedRegion } from './iova-ranges.js';

/** VFIO IOMMU backends (include/uapi/linux/vfio.h), in QEMU's preference order. */
export type VfioBackend = 'type1v2' | 'type1' | 'spapr-tce-v2' | 'spapr-tce';

export interface HostSpec {
  id: string;
  arch: 'x86_64' | 'aarch64' | 'ppc64';
  /** The IOMMU's input address width: the aperture is [0, 2^bits − 1]. */
  iommuAddressWidthBits: number;
  /** Regions every IOMMU group on this host reports (MSI window, AMD HyperTransport hole, ...). */
  reservedRegions: readonly ReservedRegion[];
  /** False for kernels before the VFIO valid-IOVA-list series (~v5.4): overlapping maps succeed silently. */
  kernelEnforcesIovaRanges: boolean;
  interruptRemapping: boolean;
  /** vfio_iommu_type1.allow_unsafe_interrupts=1 */
  allowUnsafeInterrupts: boolean;
  /** Backends the host advertises (VFIO_CHECK_EXTENSION). Advertised is not the same as usable. */
  vfioBackends: readonly VfioBackend[];
  /** POWER only: KVM-HV (bare-metal powernv) or KVM-PR (a pseries host, itself a guest). */
  kvm?: 'hv' | 'pr';
  /** POWER only: size of the default 32-bit DMA window at IOVA 0 (QEMU spapr-pci-host-bridge: 1 GiB). */
  spaprDefaultWindowBytes?: bigint;
}

export interface VfioGroupSpec {
  id: number;
  /** Regions reported by this group only (RMRRs, IVMD ranges, hardware MSI pages). */
  reservedRegions?: readonly ReservedRegion[];
}

export type DeviceSpec =
  | { kind: 'vfio-pci'; id: string; bus: string; hostAddress: string; group: VfioGroupSpec }
  | {
      kind: 'virtio';
      id: string;
      bus: string;
      /** QEMU device type, e.g. "virtio-net-pci". */
      model: string;
      /** iommu_platform=on: the device offers VIRTIO_F_ACCESS_PLATFORM (bit 33). */
      iommuPlatform: boolean;
      /** disable-legacy=off: a transitional device that also speaks legacy virtio. */
      transitional: boolean;
      /** Whether the guest driver acknowledges VIRTIO_F_ACCESS_PLATFORM when offered. */
      driverAcksAccessPlatform: boolean;
    }
  /** A pc-dimm: RAM hot-plugged at a guest physical address. */
  | { kind: 'pc-dimm'; id: string; gpa: bigint; size: bigint };

export interface PluggedDevice {
  id: string;
  kind: DeviceSpec['kind'];
  /** QEMU device type as device_add names it: "vfio-pci", "virtio-net-pci", "pc-dimm". */
  driver: string;
  /** The pcie-root-port it sits on; null for DIMMs. */
  bus: string | null;
  /** False when present but refused by the guest driver (virtio FEATURES_OK refused). */
  usable: boolean;
}

export interface VfioContainerState {
  backend: VfioBackend;
  groups: VfioGroupSpec[];
  /** What is mapped at IOVA = GPA (one entry per RAM block). */
  mappings: (IovaRange & { name: string })[];
  /** POWER: the DMA windows the container has. */
  dmaWindows: IovaRange[];
}

export interface GuestState {
  id: string;
  status: 'running' | 'crashed';
  crashReason: string | null;
  ramBlocks: RamBlockSpec[];
  pcieRootPorts: { id: string; deviceId: string | null }[];
  devices: PluggedDevice[];
  /** The VFIO container once a VFIO device is attached (no vIOMMU: IOVA = GPA). */
  vfio: VfioContainerState | null;
  /** SEV/TDX/s390 PV/CCA: the guest insists on VIRTIO_F_ACCESS_PLATFORM. */
  restrictedMemoryAccess: boolean;
}

export type HotplugCode =
  | 'OK'
  | 'GUEST_NOT_RUNNING'
  | 'DUPLICATE_ID'
  | 'BUS_NOT_FOUND'
  | 'BUS_OCCUPIED'
  | 'VFIO_NO_IOMMU_BACKEND'
  | 'VFIO_DIRECT_REGION'
  | 'VFIO_NO_INTERRUPT_REMAPPING'
  | 'VFIO_DMA_MAP_FAILED'
  | 'VIRTIO_IOMMU_PLATFORM_TRANSITIONAL'
  | 'VIRTIO_FEATURES_OK_REFUSED'
  | 'VIRTIO_ACCESS_PLATFORM_REQUIRED'
  | 'DIMM_ADDRESS_CONFLICT'
  | 'GUEST_CRASHED';

export interface DmaOverlap {
  ramBlock: string;
  ram: IovaRange;
  /** The reserved region hit, or null when the RAM lies beyond the IOMMU aperture. */
  region: ReservedRegion | null;
  overlap: IovaRange;
}

export type HotplugEvent =
  /** An old kernel accepted a mapping over reserved IOVAs: DMA there is lost or misrouted. */
  | { type: 'SilentDmaCorruptionRisk'; deviceId: string; overlaps: DmaOverlap[] }
  | { type: 'VfioBackendFallback'; from: VfioBackend; to: VfioBackend; reason: string }
  /** sPAPR v1: only the default window; guest RAM does not fit it, so no 1:1 DMA mapping. */
  | { type: 'SpaprDmaWindowLimited'; windowBytes: bigint; ramBytes: bigint }
  | { type: 'DeviceUnusable'; deviceId: string; reason: string }
  | { type: 'GuestCrashed'; reason: string };

export interface HotplugSpec {
  guest: GuestState;
  host: HostSpec;
  device: DeviceSpec;
}

export interface HotplugResult {
  ok: boolean;
  code: HotplugCode;
  /** device_add's error as QEMU words it; null on success. */
  qemuError: string | null;
  /** What the host kernel logs, if anything (dmesg). */
  kernelLog: string[];
  /** What the guest kernel logs, if anything. */
  guestLog: string[];
  events: HotplugEvent[];
  /** The VFIO backend in use after the operation, when there is a container. */
  vfioBackend: VfioBackend | null;
  /** The guest after the operation (unchanged when refused cleanly). */
  guest: GuestState;
}
