import { describe, expect, it } from 'vitest';
import { detectAccelerator } from './accelerator.js';
import { qemuArguments } from './qemu-arguments.js';

const paths = { qmpSocket: '/tmp/ferry-q-x/qmp.sock' };

describe('qemu-system-x86_64 command line', () => {
  it('builds a q35 VM with root ports, hot-pluggable memory, a kernel and debugcon', () => {
    const args = qemuArguments(
      {
        name: 'vm-a',
        memoryMiB: 512,
        memorySlots: 2,
        maxMemoryMiB: 1024,
        rootPorts: 1,
        kernel: '/k.bin',
        append: 'ws=256 rate=5000',
        incoming: true,
      },
      'tcg',
      { ...paths, debugcon: '/tmp/ferry-q-x/debugcon.log' },
    );
    expect(args).toEqual([
      '-name',
      'vm-a',
      '-machine',
      'q35',
      '-accel',
      'tcg',
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-smp',
      '1',
      '-m',
      '512M,slots=2,maxmem=1024M',
      '-qmp',
      'unix:/tmp/ferry-q-x/qmp.sock,server=on,wait=off',
      '-device',
      'pcie-root-port,id=rp0,bus=pcie.0,chassis=1,addr=0x4',
      '-kernel',
      '/k.bin',
      '-append',
      'ws=256 rate=5000',
      '-chardev',
      'file,id=debugcon,path=/tmp/ferry-q-x/debugcon.log',
      '-device',
      'isa-debugcon,iobase=0xe9,chardev=debugcon',
      '-incoming',
      'defer',
    ]);
  });

  it('replays devices and DIMMs before -incoming, and appends extra arguments last', () => {
    const args = qemuArguments(
      {
        name: 'dest',
        memoryMiB: 256,
        memorySlots: 1,
        maxMemoryMiB: 512,
        machine: 'pc-q35-7.2',
        devices: [{ id: 'net0', driver: 'virtio-net-pci', port: 'rp1' }],
        dimms: [{ id: 'dimm0', sizeBytes: 1 << 27 }],
        incoming: true,
        extraArgs: ['-S'],
      },
      'kvm',
      paths,
    );
    expect(args.slice(args.indexOf('-machine'), args.indexOf('-machine') + 4)).toEqual([
      '-machine',
      'pc-q35-7.2',
      '-accel',
      'kvm',
    ]);
    expect(args.slice(-9)).toEqual([
      '-object',
      'memory-backend-ram,id=mem-dimm0,size=134217728',
      '-device',
      'pc-dimm,id=dimm0,memdev=mem-dimm0',
      '-device',
      'virtio-net-pci,id=net0,bus=rp1,addr=0x0',
      '-incoming',
      'defer',
      '-S',
    ]);
  });

  it.each([
    { config: { name: 'x', memoryMiB: 64, memorySlots: 2 }, message: /memorySlots and maxMemoryMiB go together/ },
    { config: { name: 'x', memoryMiB: 64, rootPorts: 40 }, message: /rootPorts must be 0…27/ },
  ])('rejects $message', ({ config, message }) => {
    expect(() => qemuArguments(config, 'tcg', paths)).toThrow(message);
  });

  it('takes FERRY_QEMU_ACCEL as given', () => {
    expect(detectAccelerator({ FERRY_QEMU_ACCEL: 'tcg' })).toBe('tcg');
    expect(detectAccelerator({ FERRY_QEMU_ACCEL: 'kvm' })).toBe('kvm');
  });
});
