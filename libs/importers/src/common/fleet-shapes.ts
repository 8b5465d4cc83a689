/**
 * The importers' output types. Values are the *input* shapes of the @ferry/domain fleet
 * schemas (what a fleet file or an API body may contain), so an imported value can be
 * written as YAML/JSON and applied as is. Details are this package's own.
 */
import type { GuestInput, HostInput } from '@ferry/domain';

export type { GuestInput, HostInput };

/**
 * An imported host: a HostInput whose required facts may be missing when the source did
 * not have them (a problem then says why). Validate with `hostSchema` before applying.
 */
export type HostDraft = Omit<HostInput, 'arch' | 'cpuVendor' | 'memory' | 'kernel'> &
  Partial<Pick<HostInput, 'arch' | 'cpuVendor' | 'memory' | 'kernel'>>;

/**
 * A source value the importer does not recognise, passed through as is where the fleet
 * schema has a default: the schema then rejects that field, where leaving it out would
 * silently mean "none" (a guest with a vIOMMU or memory encryption planned as one without).
 */
export type Unrecognised = string & {};

/** An imported guest: a GuestInput whose required facts may be missing (see HostDraft). */
export type GuestDraft = Omit<GuestInput, 'host' | 'machine' | 'cpuVendor' | 'memory' | 'viommu' | 'guestOs'> &
  Partial<Pick<GuestInput, 'host' | 'machine' | 'cpuVendor' | 'memory'>> & {
    viommu?: NonNullable<GuestInput['viommu']> | Unrecognised;
    guestOs?: Omit<NonNullable<GuestInput['guestOs']>, 'confidential'> & {
      confidential?: NonNullable<NonNullable<GuestInput['guestOs']>['confidential']> | Unrecognised;
    };
  };

type Item<T> = NonNullable<T> extends ReadonlyArray<infer U> ? U : never;

export type Arch = HostInput['arch'];
export type CpuVendor = HostInput['cpuVendor'];
export type HostIommuInput = HostInput['iommu'];
export type IommuModel = HostIommuInput['model'];
export type VfioBackend = Item<HostIommuInput['vfioBackends']>;
export type KvmFlavour = NonNullable<HostIommuInput['kvm']>;
export type IommuGroupInput = Item<HostInput['groups']>;
export type ReservedRegionInput = Item<IommuGroupInput['reservedRegions']>;
export type HostDeviceInput = Item<IommuGroupInput['devices']>;
export type DeviceClass = NonNullable<HostDeviceInput['class']>;
export type AddressRangeInput = Item<HostInput['bridgeWindows']>;
export type SpaprInput = NonNullable<HostInput['spapr']>;

export type GuestMemoryInput = GuestInput['memory'];
export type GuestDeviceInput = Item<GuestInput['devices']>;
export type GuestDeviceKind = GuestDeviceInput['kind'];
export type GuestOsInput = NonNullable<GuestInput['guestOs']>;
export type Viommu = NonNullable<GuestInput['viommu']>;
export type Confidential = NonNullable<GuestOsInput['confidential']>;

/** What the host said that the fleet format has no field for. */
export interface HostDetails {
  /** The raw 24-bit PCI class code per device address, e.g. "0x060400": bridges are exempt from group viability. */
  classCodes: Record<string, string>;
  /** POWER: bare-metal OPAL host or a PowerVM/KVM partition acting as a host. */
  powerPlatform?: 'powernv' | 'pseries';
}

export type MemoryDeviceModel = 'dimm' | 'nvdimm' | 'virtio-mem' | 'virtio-pmem';

/** A memory device in the guest's device-memory (hotplug) region. */
export interface MemoryDeviceDetails {
  model: MemoryDeviceModel;
  size: string;
  base?: string;
  slot?: number;
}

export type VirtioTransport = 'pci' | 'ccw' | 'mmio';

/** What the domain XML said that the fleet format has no field for. */
export interface GuestDetails {
  uuid?: string;
  /** The libvirt domain name, from which `id` is normalised. */
  name?: string;
  /** libvirt's <os><type arch>, verbatim. */
  arch?: string;
  cpuMode?: string;
  cpuModel?: string;
  /** The vCPU vendor is the host's (host-passthrough, host-model, generic models under KVM). */
  cpuVendorFollowsHost?: boolean;
  /** <currentMemory>, the balloon target. */
  currentMemory?: string;
  memoryDevices?: MemoryDeviceDetails[];
  /** The vIOMMU's other switches: intel-iommu needs caching_mode=on for VFIO. */
  viommuOptions?: { intremap?: boolean; cachingMode?: boolean; eim?: boolean; iotlb?: boolean };
  /** A split irqchip (ioapic driver='qemu') is what intel-iommu interrupt remapping needs; the GIC version decides whether there is an ITS. */
  features?: { ioapicDriver?: string; gicVersion?: string };
  /** How each virtio device (by id) reaches the guest. */
  transports?: Record<string, VirtioTransport>;
  /** Ids of devices with PCIe ATS on (<driver ats='on'>): they cache IOMMU translations. */
  ats?: string[];
}
