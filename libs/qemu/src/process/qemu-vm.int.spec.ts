import { existsSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { QemuDriverError } from '../errors.js';
import { QmpConnectionClosedError } from '../qmp/qmp-errors.js';
import { describeWithQemu, useVms } from '../qemu.spec-support.js';
import { QemuVm } from './qemu-vm.js';

interface PciBus {
  devices: Array<{ qdev_id: string; class_info: { desc?: string } }>;
}

describeWithQemu('QemuVm (qemu-system-x86_64 process and QMP)', () => {
  const vms = useVms();

  it('starts a q35 VM with its root ports and quits it over QMP, leaving no temp dir', async () => {
    const vm = await vms.start({ name: 'proc-basic', memoryMiB: 128, rootPorts: 3 });
    expect(readFileSync(`/proc/${vm.pid}/comm`, 'utf8').trim()).toMatch(/^qemu-system-x86/);
    expect(await vm.qmp.execute('query-name')).toEqual({ name: 'proc-basic' });
    expect(await vm.runState()).toBe('running');
    const [bus] = await vm.qmp.execute<PciBus[]>('query-pci');
    expect(bus!.devices.map((device) => device.qdev_id).filter((id) => id.startsWith('rp'))).toEqual([
      'rp0',
      'rp1',
      'rp2',
    ]);
    expect(await vm.qmp.execute<{ enabled: boolean }>('query-kvm')).toMatchObject({
      enabled: vm.accelerator === 'kvm',
    });

    await expect(vm.stop()).resolves.toEqual({ code: 0, signal: null });
    expect(existsSync(vm.tempDir)).toBe(false);
    expect(await vm.runState()).toBe('exited');
  });

  it("fails to start with QEMU's own complaint and cleans up", async () => {
    const error = await QemuVm.start({
      name: 'proc-bad',
      memoryMiB: 64,
      extraArgs: ['-device', 'no-such-device'],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QemuDriverError);
    expect(error).toMatchObject({ code: 'START_FAILED' });
    expect((error as Error).message).toContain("'no-such-device' is not a valid device model name");
  });

  it('rejects pending QMP commands when QEMU dies, and still cleans up', async () => {
    const vm = await vms.start({ name: 'proc-dies', memoryMiB: 64 });
    const closed = vm.qmp.waitForEvent('SHUTDOWN', undefined, 5000);
    process.kill(vm.pid!, 'SIGKILL');
    await expect(closed).rejects.toBeInstanceOf(QmpConnectionClosedError);
    await expect(vm.qmp.execute('query-status')).rejects.toBeInstanceOf(QmpConnectionClosedError);
    expect(await vm.runState()).toBe('exited');
    await expect(vm.stop()).resolves.toEqual({ code: null, signal: 'SIGKILL' });
    expect(existsSync(vm.tempDir)).toBe(false);
  });

  it('escalates to signals when QEMU does not answer quit', async () => {
    const vm = await vms.start({ name: 'proc-frozen', memoryMiB: 64 });
    process.kill(vm.pid!, 'SIGSTOP'); // frozen: no QMP answers, SIGTERM stays pending
    const exit = await vm.stop({ graceMs: 300 });
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('waits in "inmigrate" when started as a migration destination', async () => {
    const vm = await vms.start({ name: 'proc-incoming', memoryMiB: 64, incoming: true });
    expect(await vm.runState()).toBe('inmigrate');
    expect(vm.args).toEqual(expect.arrayContaining(['-incoming', 'defer']));
  });
});
