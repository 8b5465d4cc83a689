// The dirtying test guest (libs/qemu/guest/dirty-guest.asm): built on demand with nasm into
// the git-ignored libs/qemu/guest/dist/, and its debugcon output read back.
import { execFile } from 'node:child_process';
import { mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { QemuDriverError } from '../errors.js';
import { findBinary } from '../process/find-binary.js';

// src/guest and dist/guest are both two levels below libs/qemu.
const GUEST_DIR = fileURLToPath(new URL('../../guest/', import.meta.url));
export const TEST_GUEST_SOURCE = join(GUEST_DIR, 'dirty-guest.asm');
export const TEST_GUEST_BINARY = join(GUEST_DIR, 'dist', 'dirty-guest.bin');

/** Assembles the guest unless an up-to-date binary exists; returns its path (for -kernel). */
export async function buildTestGuest(): Promise<string> {
  if (isNewer(TEST_GUEST_BINARY, TEST_GUEST_SOURCE)) return TEST_GUEST_BINARY;
  const nasm = findBinary('nasm');
  if (!nasm)
    throw new QemuDriverError(
      'BINARY_NOT_FOUND',
      'nasm not found on PATH; it builds the test guest (Debian: apt-get install nasm)',
    );
  mkdirSync(join(GUEST_DIR, 'dist'), { recursive: true });
  // Test files build in parallel: write aside, then rename into place atomically.
  const partial = `${TEST_GUEST_BINARY}.${process.pid}.partial`;
  await promisify(execFile)(nasm, ['-f', 'bin', '-o', partial, TEST_GUEST_SOURCE]);
  renameSync(partial, TEST_GUEST_BINARY);
  return TEST_GUEST_BINARY;
}

export interface TestGuestParameters {
  /** Working set in MiB, from 16 MiB physical up (the guest clamps it to its RAM). */
  workingSetMiB: number;
  /** Pages (4 KiB) dirtied per second; 0 = idle. */
  pagesPerSecond: number;
  /**
   * 'clock' (default): writes fall due by the clock and catch up after the vCPU was held back;
   * 'vcpu': a fixed amount of vCPU work per write (calibrated at boot), so a throttled vCPU
   * writes slower. The vCPU-bound guest never halts: it keeps one host CPU busy.
   */
  pacing?: 'clock' | 'vcpu';
}

/** The -append line the guest reads its parameters from. */
export function testGuestAppend(parameters: TestGuestParameters): string {
  const pace = parameters.pacing === 'vcpu' ? 1 : 0;
  return `ws=${parameters.workingSetMiB} rate=${parameters.pagesPerSecond} pace=${pace}`;
}

/** Where the guest keeps its sweep position and pages written (dirty-guest.asm STATUS_ADDR). */
export const TEST_GUEST_STATUS_ADDRESS = 0x00fff000;

/** The guest's status dwords as HMP `xp /2wx` prints them: "0000000000fff000: 0x00000010 0x00001234". */
export function parseGuestStatus(xpOutput: string): { cursor: number; written: number } | undefined {
  const match = /:\s*0x([0-9a-f]+)\s+0x([0-9a-f]+)/i.exec(xpOutput);
  return match ? { cursor: parseInt(match[1]!, 16), written: parseInt(match[2]!, 16) } : undefined;
}

/** One "progress" line: guest time (HPET) and pages written since boot. */
export interface GuestProgress {
  guestMs: number;
  pages: number;
}

export function parseGuestProgress(debugcon: string): GuestProgress[] {
  return [...debugcon.matchAll(/^progress t_ms=(\d+) pages=(\d+)\r?\n/gm)].map((match) => ({
    guestMs: Number(match[1]),
    pages: Number(match[2]),
  }));
}

/** Pages per second between the first and the last progress line (guest time). */
export function measuredDirtyRate(samples: GuestProgress[]): number | undefined {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last || last.guestMs === first.guestMs) return undefined;
  return ((last.pages - first.pages) * 1000) / (last.guestMs - first.guestMs);
}

function isNewer(target: string, source: string): boolean {
  try {
    return statSync(target).mtimeMs >= statSync(source).mtimeMs;
  } catch {
    return false;
  }
}
