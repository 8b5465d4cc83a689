import { expect, it } from 'vitest';
import { QemuDriverError } from '../errors.js';
import type { QemuVm } from '../process/qemu-vm.js';
import { QmpCommandError } from '../qmp/qmp-errors.js';
import { describeWithQemu, useVms } from '../qemu.spec-support.js';
import { hotplugDevice, hotUnplugDevice } from './device-hotplug.js';
import { hotplugMemory } from './memory-hotplug.js';

/** The bus QEMU put a device on: a root port's secondary bus is named after the port. */
async function busOf(vm: QemuVm, id: string): Promise<string> {
  const path = await vm.qmp.execute<string>('qom-get', { path: `/machine/peripheral/${id}`, property: 'parent_bus' });
  return path.split('/').at(-1)!;
}

async function peripheralIds(vm: QemuVm): Promise<string[]> {
  const children = await vm.qmp.execute<Array<{ name: string; type: string }>>('qom-list', {
    path: '/machine/peripheral',
  });
  return children
    .filter((child) => child.type.startsWith('child<'))
    .map((child) => child.name)
    .sort();
}

describeWithQemu('hot-plug on q35 (virtio on pcie-root-ports, pc-dimm)', () => {
  const vms = useVms();

  it('plugs modern virtio-net and virtio-blk with iommu_platform, one per root port', async () => {
    const vm = await vms.start({ name: 'hp-ok', memoryMiB: 128, rootPorts: 3 });
    await hotplugDevice(vm, {
      id: 'net0',
      driver: 'virtio-net-pci',
      port: 'rp0',
      iommuPlatform: true,
      disableLegacy: true,
    });
    await hotplugDevice(vm, { id: 'disk0', driver: 'virtio-blk-pci', port: 'rp1', iommuPlatform: true });

    expect([await busOf(vm, 'net0'), await busOf(vm, 'disk0')]).toEqual(['rp0', 'rp1']);
    expect(await vm.qmp.execute('qom-get', { path: '/machine/peripheral/net0', property: 'iommu_platform' })).toBe(
      true,
    );
    expect(vm.inventory.devices().map((device) => `${device.port}:${device.id}`)).toEqual(['rp0:net0', 'rp1:disk0']);
  });

  it("records QEMU's refusal of iommu_platform on a transitional device verbatim", async () => {
    const vm = await vms.start({ name: 'hp-refused', memoryMiB: 128 });
    const error = await hotplugDevice(vm, {
      id: 'net0',
      driver: 'virtio-net-pci',
      port: 'rp0',
      iommuPlatform: true,
      disableLegacy: false,
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(QmpCommandError);
    expect(error).toMatchObject({
      command: 'device_add',
      errorClass: 'GenericError',
      desc: 'VIRTIO_F_IOMMU_PLATFORM was supported by neither legacy nor transitional device',
    });
    // Nothing half-plugged: the port is free again for a device QEMU accepts.
    expect(vm.inventory.devices()).toEqual([]);
    await hotplugDevice(vm, {
      id: 'net0',
      driver: 'virtio-net-pci',
      port: 'rp0',
      iommuPlatform: true,
      disableLegacy: true,
    });
  });

  it('rejects a second device on an occupied root port, which QEMU itself would accept', async () => {
    const vm = await vms.start({ name: 'hp-occupied', memoryMiB: 128 });
    await hotplugDevice(vm, { id: 'net0', driver: 'virtio-net-pci', port: 'rp1' });

    const error = await hotplugDevice(vm, { id: 'net1', driver: 'virtio-net-pci', port: 'rp1' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(QemuDriverError);
    expect(error).toMatchObject({
      code: 'PORT_OCCUPIED',
      message: expect.stringContaining('pcie-root-port "rp1" already holds device "net0"'),
    });
    await expect(hotplugDevice(vm, { id: 'net1', driver: 'virtio-net-pci', port: 'rp9' })).rejects.toMatchObject({
      code: 'UNKNOWN_PORT',
    });
    await expect(hotplugDevice(vm, { id: 'net0', driver: 'virtio-net-pci', port: 'rp2' })).rejects.toMatchObject({
      code: 'DUPLICATE_ID',
    });
    expect(await busOf(vm, 'net0')).toBe('rp1');
    expect(await peripheralIds(vm)).toEqual(['net0', 'rp0', 'rp1', 'rp2', 'rp3']);
  });

  it('reports an unplug the guest never completes, and keeps the port occupied', async () => {
    // The test guest has no PCIe hot-plug driver: QEMU presses the attention button and waits.
    const vm = await vms.start({ name: 'hp-unplug', memoryMiB: 128 });
    await hotplugDevice(vm, { id: 'net0', driver: 'virtio-net-pci', port: 'rp0' });
    await expect(hotUnplugDevice(vm, 'net0', { timeoutMs: 500 })).rejects.toMatchObject({ code: 'UNPLUG_TIMEOUT' });
    expect(vm.inventory.deviceOnPort('rp0')?.id).toBe('net0');
  });

  it('hot-plugs a DIMM and records where QEMU put it; refuses one beyond maxmem verbatim', async () => {
    const vm = await vms.start({ name: 'hp-memory', memoryMiB: 256, memorySlots: 2, maxMemoryMiB: 512 });
    const dimm = await hotplugMemory(vm, { id: 'dimm0', sizeBytes: 128 * 1024 * 1024 });
    expect(dimm).toMatchObject({ id: 'dimm0', slot: 0 });
    expect(dimm.addr).toBeGreaterThanOrEqual(0x1_0000_0000n); // the device-memory region sits above 4 GiB
    expect(await vm.qmp.execute('query-memory-size-summary')).toMatchObject({
      'base-memory': 256 * 1024 * 1024,
      'plugged-memory': 128 * 1024 * 1024,
    });

    const error = await hotplugMemory(vm, { id: 'dimm1', sizeBytes: 256 * 1024 * 1024 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QmpCommandError);
    expect((error as QmpCommandError).desc).toBe(
      'not enough space, currently 0x8000000 in use of total space for memory devices 0x10000000',
    );
    expect(vm.inventory.dimms().map((d) => d.id)).toEqual(['dimm0']);
    expect(await vm.qmp.execute('qom-list', { path: '/objects' })).not.toContainEqual(
      expect.objectContaining({ name: 'mem-dimm1' }),
    );
  });
});
