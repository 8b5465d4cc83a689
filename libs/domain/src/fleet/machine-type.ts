// QEMU machine types: the family decides the guest-physical layout (docs/domain.md#guest-layouts) and the
// version decides compatibility properties (the AMD 1 TiB hole from 7.1, device-memory ordering from 2.5, …).
import { RHEL_UPSTREAM_VERSIONS } from './rhel-machine-types.js';

export const MACHINE_FAMILIES = ['pc-q35', 'pc-i440fx', 'virt', 'pseries', 's390-ccw-virtio'] as const;
export type MachineFamily = (typeof MACHINE_FAMILIES)[number];

export interface MachineType {
  name: string;
  family: MachineFamily;
  /**
   * [major, minor] of the upstream release whose layout rules apply; an unversioned alias
   * ("q35", "virt") means the newest this Ferry knows.
   */
  version: readonly [number, number] | 'latest';
  /** A downstream name's distribution release ("rhel9.4.0"); `version` is then the upstream it follows. */
  downstream?: string;
}

const ALIASES: Record<string, MachineFamily> = {
  q35: 'pc-q35',
  pc: 'pc-i440fx',
  virt: 'virt',
  pseries: 'pseries',
  's390-ccw-virtio': 's390-ccw-virtio',
};
const FAMILY = '(pc-q35|pc-i440fx|virt|pseries|s390-ccw-virtio)';
const VERSIONED = new RegExp(`^${FAMILY}-(\\d+)\\.(\\d+)$`);
// QEMU named i440fx machines pc-0.10 … pc-1.3 before the pc-i440fx-X.Y scheme (hw/i386/pc_piix.c up to 1.3).
const LEGACY_PC = /^pc-([01])\.(\d+)$/;
const RHEL = new RegExp(`^${FAMILY}-rhel(\\d+\\.\\d+\\.\\d+)$`);

export function parseMachineType(name: string): MachineType | undefined {
  const alias = ALIASES[name];
  if (alias) return { name, family: alias, version: 'latest' };
  const versioned = VERSIONED.exec(name);
  if (versioned)
    return { name, family: versioned[1] as MachineFamily, version: [Number(versioned[2]), Number(versioned[3])] };
  const legacy = LEGACY_PC.exec(name);
  if (legacy) return { name, family: 'pc-i440fx', version: [Number(legacy[1]), Number(legacy[2])] };
  const rhel = RHEL.exec(name);
  const upstream = rhel ? RHEL_UPSTREAM_VERSIONS[rhel[2]!] : undefined;
  if (rhel && upstream)
    return { name, family: rhel[1] as MachineFamily, version: upstream, downstream: `rhel${rhel[2]}` };
  return undefined;
}

/** True when the machine type's version is at least major.minor. */
export function machineAtLeast(machine: MachineType, major: number, minor: number): boolean {
  if (machine.version === 'latest') return true;
  const [ma, mi] = machine.version;
  return ma > major || (ma === major && mi >= minor);
}

/** The architecture a family's machine type means when the guest does not say (`virt` is also riscv64's and loongarch64's). */
export const MACHINE_FAMILY_ARCH: Record<MachineFamily, 'x86_64' | 'aarch64' | 'ppc64le' | 's390x'> = {
  'pc-q35': 'x86_64',
  'pc-i440fx': 'x86_64',
  virt: 'aarch64',
  pseries: 'ppc64le',
  's390-ccw-virtio': 's390x',
};

/** The architectures a family's machine type exists for (QEMU's hw/<arch>/ boards of that name). */
export const MACHINE_FAMILY_ARCHES: Record<MachineFamily, readonly string[]> = {
  'pc-q35': ['x86_64'],
  'pc-i440fx': ['x86_64'],
  virt: ['aarch64', 'riscv64', 'loongarch64'],
  pseries: ['ppc64le'],
  's390-ccw-virtio': ['s390x'],
};

/** The vCPU vendors each architecture's guests can have. */
export const ARCH_VENDORS: Record<string, readonly string[]> = {
  x86_64: ['intel', 'amd'],
  aarch64: ['arm'],
  ppc64le: ['ibm'],
  s390x: ['ibm'],
  riscv64: ['riscv'],
  loongarch64: ['loongson'],
};

/** The guest's architecture: what it says, else what its machine family means by default. */
export function guestArchOf(definition: { machine: string; arch?: string | undefined }): string | undefined {
  if (definition.arch) return definition.arch;
  const machine = parseMachineType(definition.machine);
  return machine ? MACHINE_FAMILY_ARCH[machine.family] : undefined;
}

/** Matches a machine type against a pattern like "pc-q35-*" (only a trailing * is special). */
export function machineMatches(pattern: string, machine: string): boolean {
  if (pattern.endsWith('*')) return machine.startsWith(pattern.slice(0, -1));
  return pattern === machine;
}
