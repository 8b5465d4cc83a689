// docs/domain.md#migration-compatibility: what must match between source and destination for the migration stream to load.
import { formatSize } from '@ferry/domain';
import type { ConflictCode } from '../../conflict/codes.js';
import type { Severity } from '../../conflict/conflict.js';
import type { ConflictSink } from '../../conflict/sink.js';
import type { DestinationContext } from '../context.js';

// docs/domain.md#migration-compatibility (CPU model): the guest's vCPUs are of one architecture; KVM runs them only on that one.
export function archMismatch(context: DestinationContext, sink: ConflictSink): void {
  const { guest, host } = context;
  const cpuArch = vcpuArch(guest.state.definition.cpuVendor, guest.arch);
  if (cpuArch === host.arch) return;
  sink.report('ARCH_MISMATCH', 'error', () => ({
    message: `The guest's vCPUs are ${guest.state.definition.cpuVendor} (${cpuArch}); ${host.id} is ${host.arch}: KVM cannot run them there.`,
    evidence: {
      guestId: guest.id,
      hostId: host.id,
      vcpuVendor: guest.state.definition.cpuVendor,
      guestArch: cpuArch,
      hostArch: host.arch,
    },
    fact: 'Live migration resumes the same vCPU state on the destination; hardware virtualization runs guests of the host architecture only.',
    remedy: `Choose an ${cpuArch} host.`,
  }));
}

/** intel/amd → x86_64, arm → aarch64, riscv, loongson; ibm is POWER or s390x, which the guest's arch tells apart. */
function vcpuArch(vendor: string, guestArch: string): string {
  if (vendor === 'intel' || vendor === 'amd') return 'x86_64';
  if (vendor === 'arm') return 'aarch64';
  if (vendor === 'riscv') return 'riscv64';
  if (vendor === 'loongson') return 'loongarch64';
  return guestArch === 's390x' ? 's390x' : 'ppc64le';
}

// docs/domain.md#migration-compatibility: the destination QEMU must provide the guest's machine type: its family on this architecture,
// at the guest's version (layout and compatibility properties).
export function machineTypeUnsupported(context: DestinationContext, sink: ConflictSink): void {
  const { guest, host } = context;
  const machine = guest.state.definition.machine;
  if (guest.arch !== host.arch) {
    sink.report('MACHINE_TYPE_UNSUPPORTED', 'error', () => ({
      message: `The guest's machine type ${machine} (${guest.machine.family}) exists only for ${guest.arch}; ${host.id} is ${host.arch}.`,
      evidence: {
        guestId: guest.id,
        hostId: host.id,
        machine,
        family: guest.machine.family,
        familyArch: guest.arch,
        hostArch: host.arch,
      },
      fact: 'A migration stream is only accepted by a QEMU that provides the same machine type; a machine family exists for one architecture only.',
      remedy: `Choose an ${guest.arch} host.`,
    }));
    return;
  }
  const wanted = guest.machine.version;
  const have = host.qemuVersion;
  if (wanted === 'latest' || have === undefined) return;
  const older = have[0] < wanted[0] || (have[0] === wanted[0] && have[1] < wanted[1]);
  if (!older) return;
  sink.report('MACHINE_TYPE_UNSUPPORTED', 'error', () => ({
    message: `The guest's machine type ${machine} needs QEMU ≥ ${wanted.join('.')}; ${host.id} runs QEMU ${host.host.qemuVersion}, which does not know it.`,
    evidence: {
      guestId: guest.id,
      hostId: host.id,
      machine,
      machineVersion: wanted.join('.'),
      hostQemuVersion: host.host.qemuVersion!,
    },
    fact: 'A migration stream is only accepted by a QEMU that provides the same versioned machine type (same layout and compatibility properties).',
    remedy: `Upgrade QEMU on ${host.id} to ≥ ${wanted.join('.')}, or choose another host.`,
  }));
}

// docs/domain.md#migration-compatibility: the CPU model must match; an Intel vCPU model cannot run on AMD and vice versa.
export function cpuVendorMismatch(context: DestinationContext, sink: ConflictSink): void {
  const { guest, host } = context;
  const vendor = guest.state.definition.cpuVendor;
  // Across architectures ARCH_MISMATCH already says it.
  if (vcpuArch(vendor, guest.arch) !== host.arch || vendor === host.cpuVendor) return;
  sink.report('CPU_VENDOR_MISMATCH', 'error', () => ({
    message: `The guest's vCPU vendor is ${vendor}; ${host.id}'s CPUs are ${host.cpuVendor}: its CPU model cannot be provided there, so live migration fails.`,
    evidence: { guestId: guest.id, hostId: host.id, vcpuVendor: vendor, hostCpuVendor: host.cpuVendor },
    fact: 'Migration needs the same CPU model on both sides; KVM can only expose features of the host vendor.',
    remedy: `Choose a host with ${vendor} CPUs, or redefine the guest with an ${host.cpuVendor} CPU model (cold restart; on x86 this can change the GPA layout).`,
  }));
}

// The two findings that depend on what differs between otherwise identical hosts (free memory, cordon).
// The fleet matrix evaluates every other rule once per host class and adds these per cell, with the
// same conditions and severities as the rules below.
export const PER_CELL_FINDINGS = {
  insufficientMemory: { code: 'INSUFFICIENT_MEMORY', severity: 'error' },
  hostNotSchedulable: { code: 'HOST_NOT_SCHEDULABLE', severity: 'error' },
} as const satisfies Record<string, { code: ConflictCode; severity: Severity }>;

/** Whether `free` bytes (host memory minus the maxmem of its guests) hold a guest of `maxMemory`. */
export const fitsInFreeMemory = <Bytes extends bigint | number>(free: Bytes, maxMemory: Bytes) => free >= maxMemory;

// docs/domain.md#migration-compatibility (RAM blocks incl. maxmem): the destination must hold the guest at its maximum size.
export function insufficientMemory(context: DestinationContext, sink: ConflictSink): void {
  const { guest, host, occupancy } = context;
  const free = occupancy.freeMemory(host.memory);
  if (fitsInFreeMemory(free, guest.maxMemory)) return;
  const { code, severity } = PER_CELL_FINDINGS.insufficientMemory;
  sink.report(code, severity, () => ({
    message: `${host.id} has ${formatSize(free < 0n ? 0n : free)} free (${formatSize(host.memory)} minus ${formatSize(occupancy.usedMemory)} taken by its guests at maxmem); the guest needs ${formatSize(guest.maxMemory)}.`,
    evidence: {
      guestId: guest.id,
      hostId: host.id,
      hostMemory: formatSize(host.memory),
      usedByGuests: formatSize(occupancy.usedMemory),
      free: formatSize(free < 0n ? 0n : free),
      guestMaxMemory: formatSize(guest.maxMemory),
    },
    fact: 'The destination allocates every RAM block at its full size, and memory hot-plug can grow the guest up to maxmem.',
    remedy: 'Choose a host with more free memory, or move other guests off this one first.',
  }));
}

export function hostNotSchedulable(context: DestinationContext, sink: ConflictSink): void {
  const { host } = context;
  if (!host.unschedulableReason) return;
  const { code, severity } = PER_CELL_FINDINGS.hostNotSchedulable;
  sink.report(code, severity, () => ({
    message: `${host.id} takes no new guests: ${host.unschedulableReason}.`,
    evidence: { hostId: host.id, reason: host.unschedulableReason! },
    fact: 'Cordoned, decommissioned and unreachable hosts (agent silent) are excluded from placement.',
    remedy: host.unschedulableReason!.startsWith('unreachable')
      ? `Bring ${host.id}'s agent back (it reports again within its heartbeat interval) or choose another host.`
      : `Uncordon ${host.id} or choose another host.`,
  }));
}
