// Hot-plug and unplug of virtio devices, one per pcie-root-port. QEMU's refusals propagate
// as QmpCommandError with QEMU's text; the port rule is checked here first.
import { blockdevAddArguments, deviceAddArguments } from '../devices/device-arguments.js';
import { diskNodeName, type VirtioDeviceSpec } from '../devices/device-spec.js';
import { QemuDriverError } from '../errors.js';
import type { QemuVm } from '../process/qemu-vm.js';
import { deleteDeviceAndWait } from './device-unplug.js';
import { reportFailureOf } from '@ferry/observability';

export async function hotplugDevice(vm: QemuVm, spec: VirtioDeviceSpec): Promise<void> {
  vm.inventory.claimPort(spec);
  let blockNodeAdded = false;
  try {
    if (spec.driver === 'virtio-blk-pci') {
      await vm.qmp.execute('blockdev-add', blockdevAddArguments(spec));
      blockNodeAdded = true;
    }
    await vm.qmp.execute('device_add', deviceAddArguments(spec));
  } catch (error) {
    vm.inventory.releaseDevice(spec.id);
    if (blockNodeAdded)
      await vm.qmp
        .execute('blockdev-del', { 'node-name': diskNodeName(spec.id) })
        .catch(reportFailureOf('qemu.cleanup', { command: 'blockdev-del', device: spec.id }));
    throw error;
  }
}

export interface UnplugOptions {
  /** How long the guest gets to release the device (default 5000 ms). */
  timeoutMs?: number;
}

export async function hotUnplugDevice(vm: QemuVm, id: string, options: UnplugOptions = {}): Promise<void> {
  const spec = vm.inventory.device(id);
  if (!spec) throw new QemuDriverError('UNKNOWN_DEVICE', `no device "${id}" on "${vm.name}"`);
  await deleteDeviceAndWait(vm, id, options.timeoutMs ?? 5000);
  vm.inventory.releaseDevice(id);
  if (spec.driver === 'virtio-blk-pci') await vm.qmp.execute('blockdev-del', { 'node-name': diskNodeName(id) });
}
