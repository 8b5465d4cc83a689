// The fidelity cases: one MigrationSpec per case, given unchanged to real QEMU (through the QEMU
// backend) and to the emulator core. The guest is the dirtying test guest: -m 512M, a 256 MiB
// working set from 16 MiB up, swept at the case's rate; max-bandwidth 64 MiB/s, downtime-limit
// 300 ms unless the case says otherwise; QEMU's defaults for everything else (no auto-converge,
// no multifd).
import { KiB, MiB, type MemoryRegion, type MigrationSpec, type RamBlockSpec } from '@ferry/emulator';

export interface FidelityCase {
  name: string;
  pagesPerSecond: number;
  downtimeLimitMs: number;
  postcopy: boolean;
}

export const CASES: FidelityCase[] = [
  { name: 'idle', pagesPerSecond: 0, downtimeLimitMs: 300, postcopy: false },
  { name: '5k', pagesPerSecond: 5_000, downtimeLimitMs: 300, postcopy: false },
  { name: '12k', pagesPerSecond: 12_000, downtimeLimitMs: 300, postcopy: false },
  { name: '40k', pagesPerSecond: 40_000, downtimeLimitMs: 300, postcopy: false },
  { name: '40k dl=5s', pagesPerSecond: 40_000, downtimeLimitMs: 5_000, postcopy: false },
  { name: '40k postcopy', pagesPerSecond: 40_000, downtimeLimitMs: 300, postcopy: true },
];

const MAX_BANDWIDTH = 64 * 1024 * 1024;
const WORKING_SET: MemoryRegion = { offsetBytes: 16n * MiB, sizeBytes: 256n * MiB };
const GUEST_RAM = 512n * MiB;

/**
 * QEMU 7.2's q35 RAM blocks besides pc.ram (`info ramblock`, used sizes): they migrate too, and
 * query-migrate's ram.total counts them (537 403 392 bytes for -m 512M).
 */
const FIRMWARE_BLOCKS: RamBlockSpec[] = [
  { name: 'pc.bios', gpa: 0x1_0000_0000n, size: 256n * KiB },
  { name: 'pc.rom', gpa: 0x1_0004_0000n, size: 128n * KiB },
  { name: '/rom@etc/acpi/tables', gpa: 0x1_0006_0000n, size: 128n * KiB },
  { name: '/rom@etc/table-loader', gpa: 0x1_0008_0000n, size: 4n * KiB },
  { name: '/rom@etc/acpi/rsdp', gpa: 0x1_0008_1000n, size: 4n * KiB },
];

/**
 * Pages the firmware and loader leave non-zero, counted from QEMU's own migration of the idle
 * guest (ram.normal = 125): 38 in pc.ram below 16 MiB (the BIOS shadow at 0xe0000 and the kernel
 * at 1 MiB) and 87 of the 130 pages of the ROM blocks.
 */
const FIRMWARE_WRITTEN: MemoryRegion[] = [
  { offsetBytes: 0xe0000n, sizeBytes: 38n * 4n * KiB },
  { offsetBytes: GUEST_RAM, sizeBytes: 87n * 4n * KiB },
];

/** A unix socket between two local QEMUs: what the stop-and-copy (no rate limit) runs at, ~3 GB/s. */
export const LOCAL_SOCKET_BYTES_PER_SECOND = 3e9;

export function fidelitySpec(c: FidelityCase, timeLimitMs: number): MigrationSpec {
  return {
    ramBlocks: [{ name: 'pc.ram', gpa: 0n, size: GUEST_RAM }, ...FIRMWARE_BLOCKS],
    // The QEMU backend sweeps the working set once before migrating, as this says.
    initialContent: { written: c.pagesPerSecond > 0 ? [...FIRMWARE_WRITTEN, WORKING_SET] : FIRMWARE_WRITTEN },
    workload:
      c.pagesPerSecond > 0
        ? { kind: 'sweep', pagesPerSecond: c.pagesPerSecond, region: WORKING_SET }
        : { kind: 'idle' },
    parameters: {
      maxBandwidth: MAX_BANDWIDTH,
      linkBandwidth: LOCAL_SOCKET_BYTES_PER_SECOND,
      downtimeLimitMs: c.downtimeLimitMs,
      // Switch once the bulk pass has ended (the sync after it): the same moment on both sides.
      postcopy: c.postcopy ? { enabled: true, switchAfterIterations: 0 } : { enabled: false },
    },
    limits: { timeoutMs: timeLimitMs, maxIterations: 10_000 },
  };
}
