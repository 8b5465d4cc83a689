import {
  effectiveIommuPlatform,
  formatSize,
  toJsonSafe,
  VIRTIO_KINDS,
  type GuestState,
  type HostState,
  type MachineDefault,
} from '@ferry/domain';

// What the API returns: JSON-safe (addresses as "0x…", sizes as "16GiB"), in the fleet file's names,
// so a view can be edited and applied again.

type Json = Record<string, unknown>;

export function hostView(state: HostState, version: number) {
  const { host } = state;
  return {
    ...(toJsonSafe(host) as Json),
    id: host.id,
    pool: host.pool ?? null,
    arch: host.arch,
    memory: formatSize(host.memory),
    cordoned: state.cordoned !== null,
    cordonReason: state.cordoned?.reason ?? null,
    // Truthful only for hosts with an agent: a host nobody reports for is never marked unreachable.
    reachable: !state.unreachable,
    unreachableReason: state.unreachable?.reason ?? null,
    decommissioned: state.decommissioned,
    version,
  };
}

export function guestView(state: GuestState, version: number, machineDefaults: readonly MachineDefault[]) {
  const { definition } = state;
  return {
    id: state.id,
    host: state.hostId,
    ...(state.libvirtDomain ? { libvirt: state.libvirtDomain } : {}),
    ...(toJsonSafe(definition) as Json),
    machine: definition.machine,
    memory: {
      ram: formatSize(definition.memory.ram),
      ...(definition.memory.max !== undefined ? { max: formatSize(definition.memory.max) } : {}),
      slots: definition.memory.slots,
    },
    guestOs: state.guestOs,
    devices: state.devices.map((device) => ({
      ...device,
      // The policy in force: the device's own setting, else the machine-family default (docs/domain.md#virtio-machine-defaults).
      effectiveIommuPlatform: (VIRTIO_KINDS as readonly string[]).includes(device.kind)
        ? effectiveIommuPlatform(device, definition.machine, machineDefaults)
        : null,
    })),
    hotplugReservations: toJsonSafe(state.hotplugReservations),
    migration: toJsonSafe(state.migration),
    memoryMap: toJsonSafe(state.memoryMap),
    memoryMapSource: state.memoryMapSource,
    version,
  };
}

export type HostView = ReturnType<typeof hostView>;
export type GuestView = ReturnType<typeof guestView>;
