import { describe, expect, it } from 'vitest';
import {
  deviceAddArguments,
  deviceCommandLine,
  dimmCommandLine,
  escapeOption,
  rootPortCommandLine,
} from './device-arguments.js';

describe('device arguments: the same device for device_add and for a destination command line', () => {
  it.each([
    {
      name: 'modern virtio-net with iommu_platform',
      spec: {
        id: 'net0',
        driver: 'virtio-net-pci' as const,
        port: 'rp1',
        iommuPlatform: true,
        disableLegacy: true,
        mac: '52:54:00:00:00:01',
      },
      qmp: {
        driver: 'virtio-net-pci',
        id: 'net0',
        bus: 'rp1',
        addr: '0x0',
        iommu_platform: true,
        'disable-legacy': 'on',
        mac: '52:54:00:00:00:01',
      },
      cli: [
        '-device',
        'virtio-net-pci,id=net0,bus=rp1,addr=0x0,iommu_platform=on,disable-legacy=on,mac=52:54:00:00:00:01',
      ],
    },
    {
      name: 'transitional virtio-net, QEMU defaults otherwise',
      spec: { id: 'net1', driver: 'virtio-net-pci' as const, port: 'rp0', disableLegacy: false },
      qmp: { driver: 'virtio-net-pci', id: 'net1', bus: 'rp0', addr: '0x0', 'disable-legacy': 'off' },
      cli: ['-device', 'virtio-net-pci,id=net1,bus=rp0,addr=0x0,disable-legacy=off'],
    },
    {
      name: 'virtio-blk on a null-co node',
      spec: {
        id: 'disk0',
        driver: 'virtio-blk-pci' as const,
        port: 'rp2',
        iommuPlatform: false,
        diskSizeBytes: 1048576,
      },
      qmp: {
        driver: 'virtio-blk-pci',
        id: 'disk0',
        bus: 'rp2',
        addr: '0x0',
        iommu_platform: false,
        drive: 'disk-disk0',
      },
      cli: [
        '-blockdev',
        'driver=null-co,node-name=disk-disk0,size=1048576',
        '-device',
        'virtio-blk-pci,id=disk0,bus=rp2,addr=0x0,iommu_platform=off,drive=disk-disk0',
      ],
    },
  ])('$name', ({ spec, qmp, cli }) => {
    expect(deviceAddArguments(spec)).toEqual(qmp);
    expect(deviceCommandLine(spec)).toEqual(cli);
  });

  it('replays a DIMM at the address and slot QEMU chose on the source', () => {
    expect(dimmCommandLine({ id: 'dimm0', sizeBytes: 134217728, addr: 0x1_0000_0000n, slot: 0 })).toEqual([
      '-object',
      'memory-backend-ram,id=mem-dimm0,size=134217728',
      '-device',
      'pc-dimm,id=dimm0,memdev=mem-dimm0,addr=0x100000000,slot=0',
    ]);
  });

  it('puts root ports at fixed addresses with distinct chassis numbers', () => {
    expect(rootPortCommandLine(2)).toEqual([
      '-device',
      'pcie-root-port,id=rp0,bus=pcie.0,chassis=1,addr=0x4',
      '-device',
      'pcie-root-port,id=rp1,bus=pcie.0,chassis=2,addr=0x5',
    ]);
  });

  it("doubles commas, QEMU's option escape", () => {
    expect(escapeOption('/tmp/a,b/qmp.sock')).toBe('/tmp/a,,b/qmp.sock');
  });
});
