// KVM when the host can run an arbitrary guest in it, TCG otherwise.
import { closeSync, constants, existsSync, openSync } from 'node:fs';

export type Accelerator = 'kvm' | 'tcg';

/**
 * FERRY_QEMU_ACCEL=kvm|tcg overrides. Otherwise KVM needs a read-write /dev/kvm AND a
 * hardware-virtualization module (kvm_intel or kvm_amd): a /dev/kvm backed by kvm_pvm
 * (pagetable-based paravirtual KVM, used in some sandboxes) runs only 64-bit paravirt Linux
 * guests and fails others with "KVM internal error. Suberror: 1" (emulation failure).
 */
export function detectAccelerator(env: NodeJS.ProcessEnv = process.env): Accelerator {
  const forced = env.FERRY_QEMU_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return forced;
  if (!existsSync('/sys/module/kvm_intel') && !existsSync('/sys/module/kvm_amd')) return 'tcg';
  try {
    closeSync(openSync('/dev/kvm', constants.O_RDWR));
    return 'kvm';
  } catch {
    return 'tcg';
  }
}
