// Shared by the QEMU integration tests: skip (saying why) only where QEMU is missing, and
// stop every VM a test started, whether the test passed or not.
import { afterEach, describe } from 'vitest';
import { qemuAvailable, QEMU_X86_64 } from './process/find-binary.js';
import { QemuVm, type StartOptions } from './process/qemu-vm.js';
import type { QemuVmConfig } from './process/vm-config.js';

export const QEMU_PRESENT = qemuAvailable();

/** `describe` that is skipped, with the reason in its name and on stderr, without QEMU. */
export function describeWithQemu(name: string, body: () => void): void {
  if (!QEMU_PRESENT) {
    console.warn(
      `${QEMU_X86_64} not found on PATH: skipping "${name}" (Debian: apt-get install qemu-system-x86 qemu-utils nasm)`,
    );
  }
  describe.skipIf(!QEMU_PRESENT)(QEMU_PRESENT ? name : `${name} [skipped: ${QEMU_X86_64} not installed]`, body);
}

/** Starts VMs and stops them all after each test. Call inside a describe. */
export interface VmTracker {
  start(config: QemuVmConfig, options?: StartOptions): Promise<QemuVm>;
  /** Stops a VM started some other way (e.g. startMigrationDestination) after the test. */
  track<T extends QemuVm>(vm: Promise<T>): Promise<T>;
}

export function useVms(): VmTracker {
  const started: QemuVm[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((vm) => vm.stop({ graceMs: 2000 })));
  });
  return {
    start(config, options) {
      return this.track(QemuVm.start(config, options));
    },
    async track(starting) {
      const vm = await starting;
      started.push(vm);
      return vm;
    },
  };
}
