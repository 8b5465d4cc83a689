// device_add against the emulated guest: pure, state in and state out.
import type { RamBlockSpec } from '../memory/guest-memory.js';
import type { GuestState, HotplugResult, HotplugSpec } from './hotplug-model.js';
import { refused } from './hotplug-result.js';
import { plugDimm } from './dimm-plug.js';
import { attachSpapr } from './spapr-attach.js';
import { attachType1 } from './vfio-attach.js';
import { plugVirtio } from './virtio-plug.js';

export interface GuestDefinition {
  id: string;
  ramBlocks: readonly RamBlockSpec[];
  /** Ids of the guest's empty pcie-root-ports (the hot-plug slots). */
  pcieRootPorts: readonly string[];
  restrictedMemoryAccess?: boolean;
}

export function createGuest(definition: GuestDefinition): GuestState {
  return {
    id: definition.id,
    status: 'running',
    crashReason: null,
    ramBlocks: [...definition.ramBlocks],
    pcieRootPorts: definition.pcieRootPorts.map((id) => ({ id, deviceId: null })),
    devices: [],
    vfio: null,
    restrictedMemoryAccess: definition.restrictedMemoryAccess ?? false,
  };
}

export function hotplug({ guest, host, device }: HotplugSpec): HotplugResult {
  if (guest.status !== 'running') return refused(guest, 'GUEST_NOT_RUNNING', `guest ${guest.id} is ${guest.status}`);
  if (guest.devices.some((d) => d.id === device.id) || guest.ramBlocks.some((b) => b.name === device.id)) {
    return refused(guest, 'DUPLICATE_ID', `Duplicate ID '${device.id}' for device`);
  }
  switch (device.kind) {
    case 'vfio-pci':
      return host.arch === 'ppc64' ? attachSpapr(guest, host, device) : attachType1(guest, host, device);
    case 'virtio':
      return plugVirtio(guest, device);
    case 'pc-dimm':
      return plugDimm(guest, host, device);
    default: {
      const unknown: never = device;
      throw new Error(`unknown device ${JSON.stringify(unknown)}`);
    }
  }
}
