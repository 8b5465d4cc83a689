// QEMU machine types: the family decides the guest-physical layout (docs/domain.md#guest-layouts) and the
// version decides compatibility properties such as the AMD 1 TiB hole (≥ 7.1).

export const MACHINE_FAMILIES = ['pc-q35', 'pc-i440fx', 'virt', 'pseries', 's390-ccw-virtio'] as const;
export type MachineFamily = (typeof MACHINE_FAMILIES)[number];

export interface MachineType {
  name: string;
  family: MachineFamily;
  /** [major, minor]; an unversioned alias ("q35", "virt") means the newest this Ferry knows. */
  version: readonly [number, number] | 'latest';
}

const ALIASES: Record<string, MachineFamily> = {
  q35: 'pc-q35',
  pc: 'pc-i440fx',
  virt: 'virt',
  pseries: 'pseries',
  's390-ccw-virtio': 's390-ccw-virtio',
};
const VERSIONED = /^(pc-q35|pc-i440fx|virt|pseries|s390-ccw-virtio)-(\d+)\.(\d+)$/;

export function parseMachineType(name: string): MachineType | undefined {
  const alias = ALIASES[name];
  if (alias) return { name, family: alias, version: 'latest' };
  const match = VERSIONED.exec(name);
  if (!match) return undefined;
  return { name, family: match[1] as MachineFamily, version: [Number(match[2]), Number(match[3])] };
}

/** True when the machine type's version is at least major.minor. */
export function machineAtLeast(machine: MachineType, major: number, minor: number): boolean {
  if (machine.version === 'latest') return true;
  const [ma, mi] = machine.version;
  return ma > major || (ma === major && mi >= minor);
}

export const MACHINE_FAMILY_ARCH: Record<MachineFamily, 'x86_64' | 'aarch64' | 'ppc64le' | 's390x'> = {
  'pc-q35': 'x86_64',
  'pc-i440fx': 'x86_64',
  virt: 'aarch64',
  pseries: 'ppc64le',
  's390-ccw-virtio': 's390x',
};

/** Matches a machine type against a pattern like "pc-q35-*" (only a trailing * is special). */
export function machineMatches(pattern: string, machine: string): boolean {
  if (pattern.endsWith('*')) return machine.startsWith(pattern.slice(0, -1));
  return pattern === machine;
}
