import { describe, expect, it } from 'vitest';
import { DeviceInventory } from '../devices/device-inventory.js';
import type { QemuVm } from '../process/qemu-vm.js';
import { migrationDestinationConfig } from './migration-destination.js';
import { startMigration } from './qemu-migration.js';

/** Just enough of a running source for the pure parts. */
function fakeSource(): QemuVm {
  const inventory = new DeviceInventory(4);
  inventory.claimPort({ id: 'net0', driver: 'virtio-net-pci', port: 'rp0' });
  inventory.claimPort({ id: 'net1', driver: 'virtio-net-pci', port: 'rp2', iommuPlatform: true, disableLegacy: true });
  inventory.addDimm({ id: 'dimm0', sizeBytes: 1 << 27, addr: 0x1_0000_0000n, slot: 0 });
  return {
    name: 'vm-a',
    accelerator: 'tcg',
    inventory,
    config: {
      name: 'vm-a',
      memoryMiB: 512,
      memorySlots: 2,
      maxMemoryMiB: 1024,
      kernel: '/k.bin',
      append: 'ws=1',
      devices: [{ id: 'net0', driver: 'virtio-net-pci', port: 'rp0' }],
    },
  } as unknown as QemuVm;
}

describe('migration destination configuration', () => {
  it("is the source's configuration plus every hot-plug since, waiting for an incoming stream", () => {
    expect(migrationDestinationConfig(fakeSource())).toEqual({
      name: 'vm-a-incoming',
      memoryMiB: 512,
      memorySlots: 2,
      maxMemoryMiB: 1024,
      kernel: '/k.bin',
      append: 'ws=1',
      accelerator: 'tcg',
      devices: [
        { id: 'net0', driver: 'virtio-net-pci', port: 'rp0' },
        { id: 'net1', driver: 'virtio-net-pci', port: 'rp2', iommuPlatform: true, disableLegacy: true },
      ],
      dimms: [{ id: 'dimm0', sizeBytes: 1 << 27, addr: 0x1_0000_0000n, slot: 0 }],
      incoming: true,
    });
  });

  it('keeps incoming on whatever the overrides say', () => {
    expect(migrationDestinationConfig(fakeSource(), { name: 'elsewhere', incoming: false })).toMatchObject({
      name: 'elsewhere',
      incoming: true,
    });
  });

  it('refuses post-copy over multifd before touching QEMU', async () => {
    const source = fakeSource();
    const destination = { ...fakeSource(), config: { ...fakeSource().config, incoming: true } } as unknown as QemuVm;
    await expect(
      startMigration({ source, destination, parameters: { postcopy: true, multifdChannels: 2 } }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
