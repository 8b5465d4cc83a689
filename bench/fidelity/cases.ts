// The fidelity cases: one MigrationSpec per case, given unchanged to real QEMU (through the QEMU
// backend) and to the emulator core. The guest is the dirtying test guest: a working set from
// 16 MiB up, swept at the case's rate, clock-paced unless the case says vCPU-bound; by default
// -m 512M, a 256 MiB working set, max-bandwidth 64 MiB/s, downtime-limit 300 ms, and QEMU's
// defaults for everything else (no auto-converge, no multifd).
import { KiB, MiB, type MemoryRegion, type MigrationSpec, type RamBlockSpec } from '@ferry/emulator';

/** Raise the downtime limit after this many consecutive syncs that did not shrink what remains (oVirt's stalling steps). */
export interface DowntimeStep {
  afterStalledIterations: number;
  downtimeLimitMs: number;
}

export interface FidelityCase {
  name: string;
  pagesPerSecond: number;
  downtimeLimitMs?: number;
  ramMiB?: number;
  workingSetMiB?: number;
  maxBandwidthMiB?: number;
  /** Switch to post-copy after this many passes after the bulk pass (0: right after it). */
  postcopyAfter?: number;
  autoConverge?: boolean;
  pacing?: 'clock' | 'vcpu';
  multifdChannels?: number;
  schedule?: DowntimeStep[];
}

export const CASES: FidelityCase[] = [
  // The six calibration cases.
  { name: 'idle', pagesPerSecond: 0 },
  { name: '5k', pagesPerSecond: 5_000 },
  { name: '12k', pagesPerSecond: 12_000 },
  { name: '40k', pagesPerSecond: 40_000 },
  { name: '40k dl=5s', pagesPerSecond: 40_000, downtimeLimitMs: 5_000 },
  { name: '40k postcopy', pagesPerSecond: 40_000, postcopyAfter: 0 },
  // Beyond them: sizes, bandwidths, limits, pacing, auto-converge, multifd, post-copy later, a schedule.
  { name: '1G ws512 8k', pagesPerSecond: 8_000, ramMiB: 1024, workingSetMiB: 512 },
  { name: '256M ws64 10k', pagesPerSecond: 10_000, ramMiB: 256, workingSetMiB: 64 },
  { name: '32MiB/s 4k', pagesPerSecond: 4_000, maxBandwidthMiB: 32 },
  { name: '128MiB/s 20k', pagesPerSecond: 20_000, maxBandwidthMiB: 128 },
  { name: 'dl=100 5k', pagesPerSecond: 5_000, downtimeLimitMs: 100 },
  { name: '92% 15k', pagesPerSecond: 15_000 },
  { name: 'vcpu 5k', pagesPerSecond: 5_000, pacing: 'vcpu' },
  { name: 'ac clock 20k', pagesPerSecond: 20_000, autoConverge: true, pacing: 'clock' },
  { name: 'ac vcpu 20k', pagesPerSecond: 20_000, autoConverge: true, pacing: 'vcpu' },
  { name: 'multifd2 12k', pagesPerSecond: 12_000, multifdChannels: 2 },
  { name: 'multifd4 12k', pagesPerSecond: 12_000, multifdChannels: 4 },
  { name: '20k postcopy@2', pagesPerSecond: 20_000, postcopyAfter: 2 },
  {
    name: '20k stepwise',
    pagesPerSecond: 20_000,
    schedule: [
      { afterStalledIterations: 2, downtimeLimitMs: 1_000 },
      { afterStalledIterations: 4, downtimeLimitMs: 3_000 },
    ],
  },
];

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
 * at 1 MiB) and 87 of the 130 pages of the ROM blocks (logically after pc.ram).
 */
const firmwareWritten = (guestRam: bigint): MemoryRegion[] => [
  { offsetBytes: 0xe0000n, sizeBytes: 38n * 4n * KiB },
  { offsetBytes: guestRam, sizeBytes: 87n * 4n * KiB },
];

/** A unix socket between two local QEMUs: what the stop-and-copy (no rate limit) runs at, ~3 GB/s. */
export const LOCAL_SOCKET_BYTES_PER_SECOND = 3e9;

/** `sweepPhasePages`: where QEMU's guest stood in its sweep when migrating began (read back by the backend). */
export function fidelitySpec(c: FidelityCase, timeLimitMs: number, sweepPhasePages = 0): MigrationSpec {
  const guestRam = BigInt(c.ramMiB ?? 512) * MiB;
  const workingSet: MemoryRegion = { offsetBytes: 16n * MiB, sizeBytes: BigInt(c.workingSetMiB ?? 256) * MiB };
  const writes = c.pagesPerSecond > 0;
  return {
    ramBlocks: [{ name: 'pc.ram', gpa: 0n, size: guestRam }, ...FIRMWARE_BLOCKS],
    // The QEMU backend sweeps the working set once before migrating, as this says.
    initialContent: { written: writes ? [...firmwareWritten(guestRam), workingSet] : firmwareWritten(guestRam) },
    workload: writes
      ? {
          kind: 'sweep',
          pagesPerSecond: c.pagesPerSecond,
          region: workingSet,
          pacing: c.pacing ?? 'clock',
          ...(sweepPhasePages > 0 ? { startOffsetBytes: BigInt(sweepPhasePages) * 4096n } : {}),
        }
      : { kind: 'idle' },
    parameters: {
      maxBandwidth: (c.maxBandwidthMiB ?? 64) * 1024 * 1024,
      downtimeLimitMs: c.downtimeLimitMs ?? 300,
      ...(c.autoConverge ? { autoConverge: { enabled: true } } : {}),
      ...(c.multifdChannels ? { multifdChannels: c.multifdChannels } : {}),
      // Switch once N passes followed the bulk pass (the sync after it): the same moment on both sides.
      postcopy:
        c.postcopyAfter !== undefined ? { enabled: true, switchAfterIterations: c.postcopyAfter } : { enabled: false },
    },
    limits: { timeoutMs: timeLimitMs, maxIterations: 10_000 },
  };
}

/** For the emulator only: the socket's speed for the final stage (the QEMU backend notes it cannot set a link). */
export function emulatorSpec(spec: MigrationSpec): MigrationSpec {
  return { ...spec, parameters: { ...spec.parameters, linkBandwidth: LOCAL_SOCKET_BYTES_PER_SECOND } };
}
