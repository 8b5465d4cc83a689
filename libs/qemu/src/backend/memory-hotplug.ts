// Memory hot-plug: a memory-backend-ram object plus a pc-dimm on it. Needs memorySlots and
// maxMemoryMiB in the VM config; QEMU's own checks (free slot, maxmem, alignment) surface
// verbatim.
import { dimmBackendId, type DimmSpec } from '../devices/device-spec.js';
import { dimmDeviceArguments, dimmObjectArguments } from '../devices/device-arguments.js';
import { QemuDriverError } from '../errors.js';
import type { QemuVm } from '../process/qemu-vm.js';
import { deleteDeviceAndWait } from './device-unplug.js';
import type { UnplugOptions } from './device-hotplug.js';
import { reportFailureOf } from '@ferry/observability';

interface MemoryDeviceInfo {
  type: string;
  data: { id?: string; addr: number; size: number; slot: number };
}

/** Plugs the DIMM and returns it with the address and slot QEMU gave it. */
export async function hotplugMemory(vm: QemuVm, spec: Pick<DimmSpec, 'id' | 'sizeBytes'>): Promise<DimmSpec> {
  vm.inventory.addDimm(spec);
  let backendAdded = false;
  try {
    await vm.qmp.execute('object-add', dimmObjectArguments(spec));
    backendAdded = true;
    await vm.qmp.execute('device_add', dimmDeviceArguments(spec));
  } catch (error) {
    vm.inventory.releaseDimm(spec.id);
    if (backendAdded)
      await vm.qmp
        .execute('object-del', { id: dimmBackendId(spec.id) })
        .catch(reportFailureOf('qemu.cleanup', { command: 'object-del', device: spec.id }));
    throw error;
  }
  const devices = await vm.qmp.execute<MemoryDeviceInfo[]>('query-memory-devices');
  const placed = devices.find((device) => device.data.id === spec.id);
  const dimm: DimmSpec = placed ? { ...spec, addr: BigInt(placed.data.addr), slot: placed.data.slot } : { ...spec };
  vm.inventory.updateDimm(dimm);
  return dimm;
}

/** Needs the guest's cooperation (ACPI eject); a guest without it leaves the DIMM in place. */
export async function hotUnplugMemory(vm: QemuVm, id: string, options: UnplugOptions = {}): Promise<void> {
  if (!vm.inventory.dimms().some((dimm) => dimm.id === id))
    throw new QemuDriverError('UNKNOWN_DEVICE', `no DIMM "${id}" on "${vm.name}"`);
  await deleteDeviceAndWait(vm, id, options.timeoutMs ?? 5000);
  vm.inventory.releaseDimm(id);
  await vm.qmp.execute('object-del', { id: dimmBackendId(id) });
}
