// The qemu-system-x86_64 command line for a QemuVmConfig.
import {
  deviceCommandLine,
  dimmCommandLine,
  escapeOption,
  MAX_ROOT_PORTS,
  rootPortCommandLine,
} from '../devices/device-arguments.js';
import { QemuDriverError } from '../errors.js';
import type { Accelerator } from './accelerator.js';
import { DEFAULT_ROOT_PORTS, type QemuVmConfig } from './vm-config.js';

export interface RuntimePaths {
  qmpSocket: string;
  debugcon?: string;
}

export function qemuArguments(config: QemuVmConfig, accelerator: Accelerator, paths: RuntimePaths): string[] {
  const rootPorts = config.rootPorts ?? DEFAULT_ROOT_PORTS;
  if (!Number.isInteger(rootPorts) || rootPorts < 0 || rootPorts > MAX_ROOT_PORTS) {
    throw new QemuDriverError('INVALID_CONFIG', `rootPorts must be 0…${MAX_ROOT_PORTS}, got ${rootPorts}`);
  }
  if ((config.memorySlots === undefined) !== (config.maxMemoryMiB === undefined)) {
    throw new QemuDriverError(
      'INVALID_CONFIG',
      'memorySlots and maxMemoryMiB go together (QEMU needs both for memory hot-plug)',
    );
  }
  const memory = [`${config.memoryMiB}M`];
  if (config.memorySlots !== undefined) memory.push(`slots=${config.memorySlots}`, `maxmem=${config.maxMemoryMiB}M`);

  const args = [
    '-name',
    escapeOption(config.name),
    '-machine',
    config.machine ?? 'q35',
    '-accel',
    accelerator,
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-smp',
    '1',
    '-m',
    memory.join(','),
    '-qmp',
    `unix:${escapeOption(paths.qmpSocket)},server=on,wait=off`,
    ...rootPortCommandLine(rootPorts),
  ];
  if (config.kernel) args.push('-kernel', config.kernel);
  if (config.append) args.push('-append', config.append);
  if (paths.debugcon) {
    args.push(
      '-chardev',
      `file,id=debugcon,path=${escapeOption(paths.debugcon)}`,
      '-device',
      'isa-debugcon,iobase=0xe9,chardev=debugcon',
    );
  }
  for (const dimm of config.dimms ?? []) args.push(...dimmCommandLine(dimm));
  for (const device of config.devices ?? []) args.push(...deviceCommandLine(device));
  if (config.incoming) args.push('-incoming', 'defer');
  args.push(...(config.extraArgs ?? []));
  return args;
}
