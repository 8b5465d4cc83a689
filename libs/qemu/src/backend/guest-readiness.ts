// When the test guest is ready to migrate, and whether it still runs afterwards, read from what
// it prints on isa-debugcon (its banner, then a progress line a second).
import { setTimeout as sleep } from 'node:timers/promises';
import { QemuDriverError } from '../errors.js';
import { parseGuestProgress } from '../guest/test-guest.js';
import type { QemuVm } from '../process/qemu-vm.js';

const BOOT_TIMEOUT_MS = 10_000;

/**
 * Migrate a guest, not a firmware: until the kernel prints its banner, SeaBIOS and the loader
 * are still writing low memory, and those pages would be sent twice.
 */
export async function waitForBoot(source: QemuVm, signal: AbortSignal): Promise<void> {
  const started = Date.now();
  while (!source.readDebugcon().includes('ferry-guest') && !signal.aborted) {
    if (source.hasExited)
      throw new QemuDriverError('START_FAILED', `the source QEMU exited while booting: ${firstLine(source.stderr)}`);
    if (Date.now() - started > BOOT_TIMEOUT_MS)
      throw new QemuDriverError('START_FAILED', `the test guest did not boot within ${BOOT_TIMEOUT_MS} ms`);
    await pause(20, signal);
  }
}

/** Waits until the guest has swept its whole working set once; returns how long that took. */
export async function waitForFill(
  source: QemuVm,
  working: { workingSetMiB: number; pagesPerSecond: number },
  timeoutMs: number,
  signal: AbortSignal,
): Promise<number> {
  const pages = working.workingSetMiB * 256;
  const started = Date.now();
  while (!signal.aborted) {
    if ((parseGuestProgress(source.readDebugcon()).at(-1)?.pages ?? 0) >= pages) break;
    if (source.hasExited)
      throw new QemuDriverError(
        'START_FAILED',
        `the source QEMU exited while the guest filled its working set: ${firstLine(source.stderr)}`,
      );
    if (Date.now() - started > timeoutMs) {
      throw new QemuDriverError(
        'START_FAILED',
        `the guest did not write its ${working.workingSetMiB} MiB working set within ${timeoutMs} ms (at ${working.pagesPerSecond} pages/s it needs ${Math.ceil(pages / working.pagesPerSecond)} s)`,
      );
    }
    await pause(200, signal);
  }
  return Date.now() - started;
}

/** After a failure or cancel the guest must go on writing on the source: waits for its next progress line. */
export async function guestStillWriting(source: QemuVm): Promise<boolean> {
  const before = parseGuestProgress(source.readDebugcon()).at(-1)?.pages ?? 0;
  const deadline = Date.now() + 2500; // progress lines come once a second of guest time
  while (Date.now() < deadline && !source.hasExited) {
    if ((parseGuestProgress(source.readDebugcon()).at(-1)?.pages ?? 0) > before) return true;
    await sleep(100);
  }
  return false;
}

/** Sleeps, or less if the signal fires meanwhile (the caller checks the signal). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal }).catch((error: unknown) => {
    if (!signal.aborted) throw error;
  });
}

export function firstLine(text: string): string {
  return text.trim().split('\n')[0] || '(no output)';
}
