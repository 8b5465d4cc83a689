import {
  effectiveIommuPlatform,
  type GuestDevice,
  type GuestState,
  type HostState,
  type MachineDefault,
} from '@ferry/domain';
import type { DeviceSpec, HostSpec, GuestState as EmulatedGuest, VfioBackend } from '@ferry/emulator';
import { createGuest } from '@ferry/emulator';

const ROOT_PORTS = 16;

function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const [ma = 0, mi = 0] = release.split(/[.-]/).map(Number);
  return ma > major || (ma === major && mi >= minor);
}

/** The emulator's view of a host: its IOMMU aperture, enforcement and backends as advertised. */
export function hostSpecOf(state: HostState): HostSpec {
  const { host } = state;
  const backends: VfioBackend[] = host.iommu.vfioBackends.flatMap((b): VfioBackend[] =>
    b === 'spapr-tce-v1' ? ['spapr-tce'] : b === 'noiommu' ? [] : [b],
  );
  return {
    id: host.id,
    arch: host.arch === 'ppc64le' ? 'ppc64' : host.arch === 'aarch64' ? 'aarch64' : 'x86_64',
    iommuAddressWidthBits: host.iommu.addressWidthBits,
    reservedRegions: [],
    // The valid-IOVA-list series (docs/domain.md#vfio-iova-ranges) made VFIO_IOMMU_MAP_DMA refuse reserved IOVAs in ~5.4.
    kernelEnforcesIovaRanges: kernelAtLeast(host.kernel, 5, 4),
    interruptRemapping: host.iommu.interruptRemapping,
    allowUnsafeInterrupts: host.iommu.allowUnsafeInterrupts,
    vfioBackends: backends,
    ...(host.arch === 'ppc64le'
      ? {
          kvm: host.iommu.kvm === 'pr' ? 'pr' : 'hv',
          spaprDefaultWindowBytes: host.spapr?.dma32Window.size ?? 1n << 30n,
        }
      : {}),
  };
}

/** The emulator's device for one of the guest's devices, on a given root port. */
export function deviceSpecOf(
  device: GuestDevice,
  guest: GuestState,
  host: HostState,
  machineDefaults: readonly MachineDefault[],
  bus: string,
): DeviceSpec | undefined {
  if (device.kind === 'vfio' || device.kind === 'vdpa') {
    const group = host.host.groups.find((g) => g.devices.some((d) => d.address === device.hostDevice));
    if (!group) return undefined;
    return {
      kind: 'vfio-pci',
      id: device.id,
      bus,
      hostAddress: device.hostDevice!,
      group: { id: group.id, reservedRegions: group.reservedRegions },
    };
  }
  return {
    kind: 'virtio',
    id: device.id,
    bus,
    model: `${device.kind}-pci`,
    iommuPlatform: effectiveIommuPlatform(device, guest.definition.machine, machineDefaults).value,
    transitional: device.transitional,
    driverAcksAccessPlatform: guest.guestOs.acksAccessPlatform,
  };
}

/**
 * The guest as the emulator holds it before any device: its RAM blocks, with root ports for the
 * devices the caller then attaches in order (as QEMU would have).
 */
export function emulatedGuestOf(guest: GuestState): EmulatedGuest {
  return createGuest({
    id: guest.id,
    ramBlocks: guest.memoryMap
      .filter((e) => e.kind === 'ram')
      .map((e, i) => ({ name: i === 0 ? 'ram' : `ram${i}`, gpa: e.start, size: e.end - e.start + 1n })),
    pcieRootPorts: Array.from({ length: ROOT_PORTS }, (_, i) => `rp${i}`),
    restrictedMemoryAccess: guest.guestOs.confidential !== 'none',
  });
}

export function freeRootPort(guest: EmulatedGuest): string | undefined {
  return guest.pcieRootPorts.find((p) => p.deviceId === null)?.id;
}
