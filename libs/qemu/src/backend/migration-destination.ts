// A destination must match the source (docs: "What must match": devices, topology, RAM
// blocks incl. DIMMs): start it from the source's config with everything plugged since
// replayed on its command line, waiting with -incoming defer.
import { QemuVm, type StartOptions } from '../process/qemu-vm.js';
import type { QemuVmConfig } from '../process/vm-config.js';

export async function startMigrationDestination(
  source: QemuVm,
  overrides: Partial<QemuVmConfig> = {},
  options: StartOptions = {},
): Promise<QemuVm> {
  return QemuVm.start(migrationDestinationConfig(source, overrides), options);
}

export function migrationDestinationConfig(source: QemuVm, overrides: Partial<QemuVmConfig> = {}): QemuVmConfig {
  return {
    ...source.config,
    // The source's accelerator, not a fresh guess: KVM and TCG CPU state do not mix.
    accelerator: source.accelerator,
    name: `${source.name}-incoming`,
    devices: source.inventory.devices(),
    dimms: source.inventory.dimms(),
    ...overrides,
    incoming: true,
  };
}
