// For a migration pool: the union of every host's forbidden IOVA ranges and, per machine family, the
// GPA ranges where guest RAM and device memory can go so that any host of the pool can take a VFIO
// device later (docs/domain.md#thread-arm-guest-msi: "an upper layer should hold the memory maps of all of them"; report usable
// as well as unusable ranges).
import {
  AMD_HT_HOLE,
  GiB,
  MACHINE_FAMILIES,
  MACHINE_FAMILY_ARCH,
  TiB,
  mergeRanges,
  rangeSize,
  rangeToJson,
  subtractRanges,
  toHex,
  type AddressRange,
  type HexRange,
  type HostState,
  type MachineFamily,
} from '@ferry/domain';
import { firstEndingAtOrAfter } from '../prepare/range-set.js';
import { chooseMsiDoorbell, ARM_SW_MSI_WINDOW, type MsiDoorbell } from './msi-doorbell.js';

export type ForbiddenKind =
  'reserved' | 'direct' | 'msi' | 'beyond-iommu-width' | 'amd-ht-hole' | 'arm-sw-msi' | 'bridge-window';

export interface ForbiddenSource {
  hostId: string;
  groupId: number | null;
  kind: ForbiddenKind;
}

export interface ForbiddenRange extends HexRange {
  sources: ForbiddenSource[];
}

export interface FamilyLayout {
  family: MachineFamily;
  /** Where the family's RAM and device memory may go (docs/domain.md#guest-layouts). */
  ramAreas: HexRange[];
  /** ramAreas minus the pool's forbidden ranges and bridge windows. */
  usable: HexRange[];
  /** False for pseries and s390x: devices DMA through guest-programmed translations, not IOVA = GPA. */
  constrainedByHostIommu: boolean;
  /** RAM + device memory that fits contiguously from the family's main RAM base. */
  contiguousFromBase: { base: string; bytes: string };
}

export interface PoolMemoryLayout {
  pool: string;
  hosts: string[];
  /** Hard: reserved, direct and msi regions, the AMD HT hole, Arm's SW_MSI window, beyond each host's IOMMU width. */
  forbidden: ForbiddenRange[];
  /** Soft (warning level): host-bridge windows from /proc/iomem (docs/domain.md#bridge-windows). */
  bridgeWindows: ForbiddenRange[];
  families: FamilyLayout[];
  msiDoorbell: MsiDoorbell;
}

const TOP = (1n << 64n) - 1n;
const FOUR_GIB = 4n * GiB;

/** RAM areas and the main RAM base, from hw/i386/pc_q35.c, pc_piix.c, hw/arm/virt.c, hw/ppc/spapr.c (docs/domain.md#guest-layouts). */
const FAMILY_AREAS: Record<MachineFamily, { areas: AddressRange[]; base: bigint; identityMapped: boolean }> = {
  'pc-q35': {
    areas: [
      { start: 0n, end: 0xafff_ffffn },
      { start: FOUR_GIB, end: TOP },
    ],
    base: FOUR_GIB,
    identityMapped: true,
  },
  'pc-i440fx': {
    areas: [
      { start: 0n, end: 0xdfff_ffffn },
      { start: FOUR_GIB, end: TOP },
    ],
    base: FOUR_GIB,
    identityMapped: true,
  },
  virt: { areas: [{ start: GiB, end: TOP }], base: GiB, identityMapped: true },
  pseries: { areas: [{ start: 0n, end: 32n * TiB - 1n }], base: 0n, identityMapped: false },
  's390-ccw-virtio': { areas: [{ start: 0n, end: TOP }], base: 0n, identityMapped: false },
};

interface Piece extends AddressRange {
  source: ForbiddenSource;
}

/** `hosts`: host states, or the fleet's map of them. Decommissioned hosts never come back and are left out. */
export function poolMemoryLayout(
  hosts: Iterable<HostState> | ReadonlyMap<string, HostState>,
  pool: string,
): PoolMemoryLayout {
  // `instanceof Map` narrows to Map<any, any>; name the value type again.
  const states: HostState[] =
    hosts instanceof Map
      ? [...(hosts as ReadonlyMap<string, HostState>).values()]
      : [...(hosts as Iterable<HostState>)];
  const members = states
    .filter((s) => !s.decommissioned && s.host.pool === pool)
    .sort((a, b) => (a.host.id < b.host.id ? -1 : 1));
  const hard: Piece[] = [];
  const soft: Piece[] = [];
  for (const { host } of members) {
    const at = (kind: ForbiddenKind, groupId: number | null = null) => ({ hostId: host.id, groupId, kind });
    for (const group of host.groups) {
      for (const region of group.reservedRegions) {
        // direct-relaxable is ignored by VFIO (docs/domain.md#region-types).
        if (region.type !== 'direct-relaxable')
          hard.push({ start: region.start, end: region.end, source: at(region.type, group.id) });
      }
    }
    if (host.iommu.addressWidthBits < 64)
      hard.push({ start: 1n << BigInt(host.iommu.addressWidthBits), end: TOP, source: at('beyond-iommu-width') });
    // Rules 6 and 7: these hold on the platform even when a group's sysfs file was not reported.
    if (host.cpuVendor === 'amd' || host.iommu.model === 'amd-vi')
      hard.push({ ...AMD_HT_HOLE, source: at('amd-ht-hole') });
    if (host.iommu.model === 'arm-smmuv3') hard.push({ ...ARM_SW_MSI_WINDOW, source: at('arm-sw-msi') });
    for (const window of host.bridgeWindows) soft.push({ ...window, source: at('bridge-window') });
  }

  const forbiddenSet = mergeRanges(hard);
  const bridgeSet = mergeRanges(soft);
  const avoid = mergeRanges([...forbiddenSet, ...bridgeSet]);
  const arches = new Set(members.map((m) => m.host.arch));
  const families = MACHINE_FAMILIES.filter((family) => arches.has(MACHINE_FAMILY_ARCH[family])).map((family) =>
    familyLayout(family, avoid),
  );

  return {
    pool,
    hosts: members.map((m) => m.host.id),
    forbidden: withSources(forbiddenSet, hard),
    bridgeWindows: withSources(bridgeSet, soft),
    families,
    msiDoorbell: chooseMsiDoorbell(
      members,
      hard,
      bridgeSet,
      families.filter((f) => f.constrainedByHostIommu).flatMap((f) => FAMILY_AREAS[f.family].areas),
    ),
  };
}

function familyLayout(family: MachineFamily, avoid: readonly AddressRange[]): FamilyLayout {
  const { areas, base, identityMapped } = FAMILY_AREAS[family];
  const usable = identityMapped ? subtractRanges(areas, avoid) : mergeRanges(areas);
  const fromBase = usable.find((r) => r.start === base);
  return {
    family,
    ramAreas: areas.map(rangeToJson),
    usable: usable.map(rangeToJson),
    constrainedByHostIommu: identityMapped,
    contiguousFromBase: { base: toHex(base), bytes: toHex(fromBase ? rangeSize(fromBase) : 0n) },
  };
}

/** Each merged range with the hosts/groups whose regions make it up; a piece lies inside exactly one merged range. */
function withSources(merged: readonly AddressRange[], pieces: readonly Piece[]): ForbiddenRange[] {
  const sources = merged.map(() => new Map<string, ForbiddenSource>());
  for (const piece of pieces) {
    const index = firstEndingAtOrAfter(merged, piece.start);
    const { hostId, groupId, kind } = piece.source;
    sources[index]!.set(`${hostId}/${groupId}/${kind}`, piece.source);
  }
  return merged.map((range, index) => ({ ...rangeToJson(range), sources: [...sources[index]!.values()] }));
}

export type { MsiDoorbell };
