import type { HostTree } from './host-tree.js';

// The fleet schema's kernel format: a release such as "6.8.0" or "6.8.0-45-generic".
const RELEASE = /^\d+\.\d+(\.\d+)?[-.+~\w]*$/;

/**
 * The running kernel's release, which decides rules such as IOVA-range enforcement
 * and the ~v6.6 refusal of `direct` regions. Kept whole ("5.14.0-427.el9"): distro
 * kernels backport, and the planner reads the leading version itself.
 * osrelease holds just the release; /proc/version ("Linux version 6.8.0-45-generic (...)") is the fallback.
 */
export function readKernelRelease(tree: HostTree): string | undefined {
  let release = tree.readText('proc/sys/kernel/osrelease')?.trim();
  if (!release) {
    release = /^Linux version (\S+)/.exec(tree.readText('proc/version') ?? '')?.[1];
  }
  if (!release) {
    tree.report(
      'warning',
      'proc/sys/kernel/osrelease',
      'kernel version unknown (neither osrelease nor /proc/version is readable)',
    );
    return undefined;
  }
  if (!RELEASE.test(release)) {
    tree.report('warning', 'proc/sys/kernel/osrelease', `"${release}" is not a kernel release like "6.8.0"; left out`);
    return undefined;
  }
  return release;
}
