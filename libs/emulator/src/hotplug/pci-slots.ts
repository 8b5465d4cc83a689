// pcie-root-port topology: each port has exactly one slot (device 0, function 0), so a
// second device on the same port is refused as QEMU's do_pci_register_device refuses it.
import type { GuestState, PluggedDevice } from './hotplug-model.js';

export type SlotClaim =
  { ok: true; guest: GuestState } | { ok: false; code: 'BUS_NOT_FOUND' | 'BUS_OCCUPIED'; message: string };

/** Returns the guest with `device` placed on its port, or why it cannot be. */
export function placeOnRootPort(guest: GuestState, device: PluggedDevice & { bus: string }): SlotClaim {
  const port = guest.pcieRootPorts.find((p) => p.id === device.bus);
  if (!port) return { ok: false, code: 'BUS_NOT_FOUND', message: `Bus '${device.bus}' not found` };
  if (port.deviceId !== null) {
    const occupant = guest.devices.find((d) => d.id === port.deviceId);
    return {
      ok: false,
      code: 'BUS_OCCUPIED',
      message: `PCI: slot 0 function 0 not available for ${device.driver}, in use by ${occupant?.driver ?? 'unknown'},id=${port.deviceId}`,
    };
  }
  return {
    ok: true,
    guest: {
      ...guest,
      pcieRootPorts: guest.pcieRootPorts.map((p) => (p.id === device.bus ? { ...p, deviceId: device.id } : p)),
      devices: [...guest.devices, device],
    },
  };
}
