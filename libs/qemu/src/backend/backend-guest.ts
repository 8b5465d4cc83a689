// What the QEMU backend can run for an emulator MigrationSpec: the dirtying test guest, sized
// from the spec's RAM blocks and workload, within what this machine can hold. Every place where
// the real guest differs from the spec is written down in `notes`, so a result never pretends.
import {
  describePacing,
  MiB,
  vcpuShareOf,
  type MemoryRegion,
  type MigrationSpec,
  type RamBlockSpec,
  type WritePattern,
} from '@ferry/emulator';
import { QemuDriverError } from '../errors.js';

/** The test guest's working set starts at 16 MiB physical (dirty-guest.asm WS_BASE). */
export const GUEST_WORKING_SET_BASE_MIB = 16;
const MIN_GUEST_MIB = 32;

export interface BackendGuestPlan {
  /** -m for both QEMUs. */
  memoryMiB: number;
  /** What the spec's RAM blocks add up to (before any cap). */
  requestedMiB: number;
  workingSetMiB: number;
  pagesPerSecond: number;
  /** Start migrating only once the guest has swept its whole working set once. */
  waitForFill: boolean;
  /** The test guest's pacing: clock-paced, or a fixed amount of vCPU work per write. */
  pacing: 'clock' | 'vcpu';
  notes: string[];
}

/**
 * Blocks QEMU creates by itself on q35 (firmware and ACPI ROMs, `info ramblock`). A spec may list
 * them so the emulator counts their pages; they are not guest RAM to pass to -m.
 */
export function isFirmwareBlock(block: RamBlockSpec): boolean {
  return block.name === 'pc.bios' || block.name === 'pc.rom' || block.name.startsWith('/rom@');
}

export function planBackendGuest(spec: MigrationSpec, maxMemoryMiB: number): BackendGuestPlan {
  const notes: string[] = [];
  const ram = spec.ramBlocks.filter((block) => !isFirmwareBlock(block)).reduce((sum, block) => sum + block.size, 0n);
  if (ram <= 0n) throw new QemuDriverError('INVALID_CONFIG', 'the migration spec has no guest RAM block');
  const requestedMiB = Number((ram + MiB - 1n) / MiB);
  let memoryMiB = Math.min(requestedMiB, maxMemoryMiB);
  if (memoryMiB < requestedMiB)
    notes.push(`guest RAM capped from ${requestedMiB} MiB to ${memoryMiB} MiB (what this machine runs)`);
  if (memoryMiB < MIN_GUEST_MIB) {
    notes.push(`guest RAM raised from ${memoryMiB} MiB to ${MIN_GUEST_MIB} MiB: the test guest writes from 16 MiB up`);
    memoryMiB = MIN_GUEST_MIB;
  }
  const load = workingSetOf(spec.workload, ram, notes);
  const room = memoryMiB - GUEST_WORKING_SET_BASE_MIB;
  let workingSetMiB = Math.max(1, Math.ceil(Number(load.bytes) / Number(MiB)));
  if (workingSetMiB > room) {
    notes.push(`working set clamped from ${workingSetMiB} MiB to the ${room} MiB above 16 MiB`);
    workingSetMiB = room;
  }
  const pagesPerSecond = Math.round(load.pagesPerSecond);
  // 'zero' says nothing was written before the migration; anything else means the working set was.
  const waitForFill = pagesPerSecond > 0 && (spec.initialContent ?? 'zero') !== 'zero';
  if (spec.initialContent === 'filled')
    notes.push('initialContent "filled": only the working set is written before migrating; the rest of RAM stays zero');
  const unwritten =
    typeof spec.initialContent === 'object' ? regionsNotWritten(spec.initialContent.written, ram, workingSetMiB) : [];
  if (unwritten.length > 0)
    notes.push(
      `initialContent regions not reproduced (only the working set and what firmware writes are non-zero): ${unwritten.join(', ')}`,
    );
  if (spec.networkFailureAtMs !== undefined) notes.push('networkFailureAtMs is not injected on QEMU');
  const pacing = pacingOf(spec, pagesPerSecond, notes);
  if (spec.workload.kind === 'sweep' && spec.workload.startOffsetBytes !== undefined)
    notes.push("sweep startOffsetBytes: the guest's phase cannot be set; it is read back (sweepPhasePages) instead");
  return { memoryMiB, requestedMiB, workingSetMiB, pagesPerSecond, waitForFill, pacing, notes };
}

/**
 * Written regions the test guest does not write: it writes its working set (from 16 MiB up);
 * below 16 MiB and past guest RAM (the ROM blocks) is firmware's, which QEMU writes itself.
 */
function regionsNotWritten(regions: readonly MemoryRegion[], ram: bigint, workingSetMiB: number): string[] {
  const base = BigInt(GUEST_WORKING_SET_BASE_MIB) * MiB;
  const end = base + BigInt(workingSetMiB) * MiB;
  return regions
    .filter((r) => {
      const last = r.offsetBytes + r.sizeBytes;
      const firmware = last <= base || r.offsetBytes >= ram;
      return !firmware && (r.offsetBytes < base || last > end);
    })
    .map((r) => `[${r.offsetBytes / MiB} MiB, +${r.sizeBytes / MiB} MiB)`);
}

/**
 * The test guest paces by the clock or by vCPU work, not by a mix. A spec without pacing means
 * vCPU-bound to the emulator; it only matters under auto-converge's throttle, so only then does
 * the guest spin (it keeps a host CPU busy while it runs).
 */
function pacingOf(spec: MigrationSpec, pagesPerSecond: number, notes: string[]): 'clock' | 'vcpu' {
  const share = vcpuShareOf(spec.workload.pacing);
  const throttled = spec.parameters?.autoConverge?.enabled ?? false;
  if (pagesPerSecond === 0) return 'clock';
  if (share > 0 && share < 1)
    notes.push(`pacing ${describePacing(spec.workload.pacing)} runs as ${share >= 0.5 ? 'vCPU-bound' : 'clock-paced'}`);
  if (spec.workload.pacing === undefined) {
    if (throttled) return 'vcpu';
    return 'clock'; // without a throttle both pacings write alike
  }
  return share >= 0.5 ? 'vcpu' : 'clock';
}

/** The test guest only sweeps: every write pattern becomes a sweep over its hot or whole region. */
function workingSetOf(pattern: WritePattern, ram: bigint, notes: string[]): { bytes: bigint; pagesPerSecond: number } {
  switch (pattern.kind) {
    case 'idle':
      return { bytes: MiB, pagesPerSecond: 0 };
    case 'sweep':
      return { bytes: pattern.region?.sizeBytes ?? ram, pagesPerSecond: pattern.pagesPerSecond };
    case 'fill-once':
    case 'uniform':
      notes.push(`${pattern.kind} writes run as a sweep over the same region`);
      return { bytes: pattern.region?.sizeBytes ?? ram, pagesPerSecond: pattern.pagesPerSecond };
    case 'hot-set':
      notes.push('hot-set writes run as a sweep over the hot set at the full rate');
      return { bytes: pattern.hotBytes, pagesPerSecond: pattern.pagesPerSecond };
    case 'phases': {
      const busiest = pattern.phases
        .map((phase) => workingSetOf(phase.pattern, ram, []))
        .reduce((a, b) => (b.pagesPerSecond > a.pagesPerSecond ? b : a), { bytes: MiB, pagesPerSecond: 0 });
      notes.push('phased writes run as the busiest phase, for the whole migration');
      return busiest;
    }
    default: {
      const unknown: never = pattern;
      throw new QemuDriverError('INVALID_CONFIG', `unknown workload ${JSON.stringify(unknown)}`);
    }
  }
}
