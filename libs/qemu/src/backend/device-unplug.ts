// device_del only asks: the guest must release the device (PCIe attention button / ACPI
// eject) before QEMU removes it and emits DEVICE_DELETED. Wait for that, with a deadline.
import { QemuDriverError } from '../errors.js';
import type { QemuVm } from '../process/qemu-vm.js';
import { QmpTimeoutError } from '../qmp/qmp-errors.js';

export async function deleteDeviceAndWait(vm: QemuVm, id: string, timeoutMs: number): Promise<void> {
  // Subscribe first: DEVICE_DELETED can arrive before device_del's own reply.
  const deleted = vm.qmp.waitForEvent('DEVICE_DELETED', (event) => event.data.device === id, timeoutMs);
  // Awaited below; if device_del itself fails first, that is the error the caller gets, and this only
  // keeps the waiter's later timeout from counting as an unhandled rejection.
  void Promise.allSettled([deleted]);
  await vm.qmp.execute('device_del', { id });
  try {
    await deleted;
  } catch (error) {
    if (error instanceof QmpTimeoutError) {
      throw new QemuDriverError(
        'UNPLUG_TIMEOUT',
        `device_del "${id}" was accepted but the guest did not release the device within ${timeoutMs} ms (no DEVICE_DELETED); it stays plugged`,
      );
    }
    throw error;
  }
}
