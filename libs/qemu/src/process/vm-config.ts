// Everything that decides a VM's QEMU command line. A migration destination is started from
// the source's config plus the devices plugged since, so this is also "what must match".
import type { DimmSpec, VirtioDeviceSpec } from '../devices/device-spec.js';
import type { Accelerator } from './accelerator.js';

export interface QemuVmConfig {
  /** -name; also shown in `ps`. */
  name: string;
  memoryMiB: number;
  /** DIMM slots for memory hot-plug; needs maxMemoryMiB. */
  memorySlots?: number;
  maxMemoryMiB?: number;
  /** pcie-root-ports for hot-plug, ids rp0…rp(n-1) (default 4). */
  rootPorts?: number;
  /** Multiboot or Linux kernel for -kernel, and its -append line. */
  kernel?: string;
  append?: string;
  /** Capture the guest's writes to port 0xe9 (isa-debugcon) in a file; see QemuVm.debugconPath. */
  debugcon?: boolean;
  /** Start with -incoming defer: a migration destination waiting for migrate-incoming. */
  incoming?: boolean;
  /** Default "q35"; pin a versioned type (pc-q35-7.2) when source and destination QEMU differ. */
  machine?: string;
  /** Default: detectAccelerator(). */
  accelerator?: Accelerator;
  /** Devices present from the start (a destination replays the source's hot-plugs here). */
  devices?: VirtioDeviceSpec[];
  dimms?: DimmSpec[];
  /** Appended verbatim, last. */
  extraArgs?: string[];
  /** Default qemu-system-x86_64 from PATH. */
  binary?: string;
}

export const DEFAULT_ROOT_PORTS = 4;
