// One device spec, two spellings: QMP arguments for hot-plug and command-line options for a
// migration destination that must start with the same devices.
import { diskNodeName, dimmBackendId, rootPortId, type DimmSpec, type VirtioDeviceSpec } from './device-spec.js';

const DEFAULT_DISK_SIZE = 1024 ** 3;

/** Root ports sit at fixed addresses on pcie.0 so a destination has the same topology. */
const FIRST_ROOT_PORT_SLOT = 4;
export const MAX_ROOT_PORTS = 0x1e - FIRST_ROOT_PORT_SLOT + 1; // 0x1f is the ICH9 LPC bridge

/** `device_add` arguments. Bool properties must be JSON booleans there, OnOffAuto ones strings. */
export function deviceAddArguments(spec: VirtioDeviceSpec): Record<string, unknown> {
  const args: Record<string, unknown> = { driver: spec.driver, id: spec.id, bus: spec.port, addr: '0x0' };
  if (spec.iommuPlatform !== undefined) args.iommu_platform = spec.iommuPlatform;
  if (spec.disableLegacy !== undefined) args['disable-legacy'] = spec.disableLegacy ? 'on' : 'off';
  if (spec.driver === 'virtio-net-pci' && spec.mac) args.mac = spec.mac;
  if (spec.driver === 'virtio-blk-pci') args.drive = diskNodeName(spec.id);
  return args;
}

/** virtio-blk needs a block node; null-co reads zeroes and stores nothing, so no files. */
export function blockdevAddArguments(spec: VirtioDeviceSpec): { driver: 'null-co'; 'node-name': string; size: number } {
  return { driver: 'null-co', 'node-name': diskNodeName(spec.id), size: spec.diskSizeBytes ?? DEFAULT_DISK_SIZE };
}

export function deviceCommandLine(spec: VirtioDeviceSpec): string[] {
  const args: string[] = [];
  if (spec.driver === 'virtio-blk-pci') {
    const node = blockdevAddArguments(spec);
    args.push('-blockdev', `driver=null-co,node-name=${node['node-name']},size=${node.size}`);
  }
  const props = Object.entries(deviceAddArguments(spec))
    .filter(([key]) => key !== 'driver')
    .map(
      ([key, value]) => `${key}=${typeof value === 'boolean' ? (value ? 'on' : 'off') : escapeOption(String(value))}`,
    );
  args.push('-device', [spec.driver, ...props].join(','));
  return args;
}

export function dimmObjectArguments(spec: DimmSpec): Record<string, unknown> {
  return { 'qom-type': 'memory-backend-ram', id: dimmBackendId(spec.id), size: spec.sizeBytes };
}

export function dimmDeviceArguments(spec: DimmSpec): Record<string, unknown> {
  return { driver: 'pc-dimm', id: spec.id, memdev: dimmBackendId(spec.id) };
}

export function dimmCommandLine(spec: DimmSpec): string[] {
  const device = [`pc-dimm,id=${spec.id},memdev=${dimmBackendId(spec.id)}`];
  if (spec.addr !== undefined) device.push(`addr=0x${spec.addr.toString(16)}`);
  if (spec.slot !== undefined) device.push(`slot=${spec.slot}`);
  return [
    '-object',
    `memory-backend-ram,id=${dimmBackendId(spec.id)},size=${spec.sizeBytes}`,
    '-device',
    device.join(','),
  ];
}

export function rootPortCommandLine(count: number): string[] {
  return Array.from({ length: count }, (_, index) => [
    '-device',
    `pcie-root-port,id=${rootPortId(index)},bus=pcie.0,chassis=${index + 1},addr=0x${(FIRST_ROOT_PORT_SLOT + index).toString(16)}`,
  ]).flat();
}

/** QEMU's option syntax: a comma inside a value is written twice. */
export function escapeOption(value: string): string {
  return value.replaceAll(',', ',,');
}
