// Sizes and conversions shared by the emulator. Addresses and memory sizes are bigint at
// the API boundary; inside, page counts are plain numbers (a 1 TiB guest has 2^28 pages,
// far below 2^53).

/** x86/arm64 KVM dirty tracking and QEMU's TARGET_PAGE_SIZE: 4 KiB. */
export const PAGE_SIZE = 4096;
export const PAGE_SIZE_BIG = 4096n;

export const KiB = 1024n;
export const MiB = 1024n * KiB;
export const GiB = 1024n * MiB;
export const TiB = 1024n * GiB;

/** Bytes per second for a link quoted in gigabits per second (decimal, as NICs are sold). */
export function gbitPerSecond(gbit: number): number {
  return (gbit * 1e9) / 8;
}

/** Whole pages in a byte size; sizes that are not page multiples are rejected by callers. */
export function pagesOf(bytes: bigint): number {
  return Number(bytes / PAGE_SIZE_BIG);
}

export function isPageAligned(value: bigint): boolean {
  return value % PAGE_SIZE_BIG === 0n;
}

/** Formats an address the way the kernel and QEMU print it: lower-case hex with 0x. */
export function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}
