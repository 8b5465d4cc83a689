// Looks a program up on PATH the way a shell would, without running one.
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export function findBinary(name: string, path: string = process.env.PATH ?? ''): string | undefined {
  const candidates = isAbsolute(name)
    ? [name]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

export const QEMU_X86_64 = 'qemu-system-x86_64';

/** For integration tests: skip (with a reason) only where QEMU is not installed. */
export function qemuAvailable(binary: string = QEMU_X86_64): boolean {
  return findBinary(binary) !== undefined;
}
