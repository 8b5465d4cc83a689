import { describe, expect, it } from 'vitest';
import { DeviceInventory } from './device-inventory.js';
import type { VirtioDeviceSpec } from './device-spec.js';

const net = (id: string, port: string): VirtioDeviceSpec => ({ id, driver: 'virtio-net-pci', port });

describe('DeviceInventory: one device per pcie-root-port', () => {
  it('gives each device its own port and frees the port on release', () => {
    const inventory = new DeviceInventory(2);
    inventory.claimPort(net('net0', 'rp0'));
    inventory.claimPort(net('net1', 'rp1'));
    expect(inventory.devices().map((d) => d.id)).toEqual(['net0', 'net1']);
    inventory.releaseDevice('net0');
    inventory.claimPort(net('net2', 'rp0'));
    expect(inventory.deviceOnPort('rp0')?.id).toBe('net2');
  });

  it.each([
    {
      name: 'occupied port',
      plug: net('net1', 'rp0'),
      code: 'PORT_OCCUPIED',
      message: 'pcie-root-port "rp0" already holds device "net0" (virtio-net-pci)',
    },
    {
      name: 'unknown port',
      plug: net('net1', 'rp7'),
      code: 'UNKNOWN_PORT',
      message: 'no pcie-root-port "rp7" (this VM has rp0, rp1)',
    },
    {
      name: 'id in use',
      plug: net('net0', 'rp1'),
      code: 'DUPLICATE_ID',
      message: 'a device with id "net0" is already plugged',
    },
    { name: 'malformed id', plug: net('0net', 'rp1'), code: 'INVALID_CONFIG', message: '"0net" is not a QEMU id' },
  ])('rejects: $name', ({ plug, code, message }) => {
    const inventory = new DeviceInventory(2);
    inventory.claimPort(net('net0', 'rp0'));
    let thrown: unknown;
    try {
      inventory.claimPort(plug);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code, message: expect.stringContaining(message) });
    expect(inventory.devices().map((d) => d.id)).toEqual(['net0']);
  });

  it('shares the id space between devices and DIMMs', () => {
    const inventory = new DeviceInventory(1);
    inventory.addDimm({ id: 'dimm0', sizeBytes: 1 << 27 });
    expect(() => inventory.claimPort(net('dimm0', 'rp0'))).toThrow(/already plugged/);
    inventory.updateDimm({ id: 'dimm0', sizeBytes: 1 << 27, addr: 0x1_0000_0000n, slot: 0 });
    expect(inventory.dimms()).toEqual([{ id: 'dimm0', sizeBytes: 1 << 27, addr: 0x1_0000_0000n, slot: 0 }]);
    expect(inventory.releaseDimm('dimm0').id).toBe('dimm0');
    expect(() => inventory.releaseDimm('dimm0')).toThrow(/no DIMM "dimm0"/);
  });
});
