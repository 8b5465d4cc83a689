// Everything the rules ask of a host, computed once per host state: merged forbidden sets per group,
// device indexes, kernel-dependent behaviour, the VFIO backend QEMU will really get. Host states are
// immutable (evolveHost returns new objects), so the result is memoised on the state object.
import {
  AMD_HT_HOLE,
  subtractRanges,
  type Arch,
  type CpuVendor,
  type Host,
  type HostDevice,
  type HostState,
  type ReservedRegion,
} from '@ferry/domain';
import { classKeyText, PER_HOST_FACTS } from './class-key.js';
import { DIRECT_REFUSAL_SINCE, IOVA_ENFORCEMENT_SINCE, kernelAtLeast } from './kernel-version.js';
import { toRangeSet, type RangeSet } from './range-set.js';
import { prepareSpapr, type PreparedSpapr } from './prepared-spapr.js';

export interface PreparedDevice {
  address: string;
  facts: HostDevice;
  group: PreparedGroup;
  /** Other members of the group bound to a native driver: VFIO refuses a group that is not viable (docs/domain.md#iommu-groups). */
  nativeSiblings: readonly HostDevice[];
  /** Listed in iommu.ignoreIommuFor: the hypervisor lets it bypass the IOMMU (docs/domain.md#iommu-quirk-list). */
  ignoredByHypervisor: boolean;
}

export interface PreparedGroup {
  id: number;
  /** `reserved` and `direct` regions as reported; on AMD hosts minus the HT hole, which AMD_HT_HOLE_OVERLAP reports. */
  reservedRegions: readonly ReservedRegion[];
  msiRegions: readonly ReservedRegion[];
  directRegions: readonly ReservedRegion[];
  reservedSet: RangeSet;
  msiSet: RangeSet;
  devices: PreparedDevice[];
}

export interface PreparedHost {
  id: string;
  state: HostState;
  host: Host;
  arch: Arch;
  cpuVendor: CpuVendor;
  memory: bigint;
  pool: string | undefined;
  /** Cordoned or decommissioned hosts are never destinations; the reason says which. */
  unschedulableReason: string | undefined;
  qemuVersion: readonly [number, number] | undefined;
  /** AMD-Vi reserves the HyperTransport range on every group (docs/domain.md#amd-ht-hole). */
  isAmd: boolean;
  /** Kernels ≥ 5.4 refuse MAP_DMA outside the valid IOVA list; older ones map silently (docs/domain.md#vfio-iova-ranges). */
  enforcesIovaRanges: boolean;
  /** ≥ 6.6 on every vendor, and Intel VT-d earlier, refuse groups with a `direct` region (docs/domain.md#region-types). */
  refusesDirectRegions: boolean;
  iommuWidthBits: number;
  /** 2^addressWidthBits: the first IOVA outside the host IOMMU aperture (docs/domain.md#vfio-iova-ranges, vfio_iommu_aper_conflict). */
  apertureLimit: bigint;
  bridgeWindows: RangeSet;
  groups: PreparedGroup[];
  /** Every group's reserved and msi ranges merged: a guest that misses it cannot overlap any group. */
  groupForbiddenUnion: RangeSet;
  /** The same, over the groups holding a device of each class: what a reservation of that class may touch. */
  classForbiddenUnion: ReadonlyMap<string, RangeSet>;
  deviceByAddress: ReadonlyMap<string, PreparedDevice>;
  devicesByClass: ReadonlyMap<string, readonly PreparedDevice[]>;
  allDevices: readonly PreparedDevice[];
  spapr: PreparedSpapr | undefined;
  /**
   * Everything about the host except the facts each matrix cell checks itself (class-key.ts): hosts
   * with equal keys give equal answers from every static rule.
   */
  classKey: string;
}

/** vfio-pci, its vendor variants (mlx5_vfio_pci, hisi_acc_vfio_pci…), pci-stub or no driver keep a group viable (docs/domain.md#iommu-groups). */
export function keepsGroupViable(driver: string): boolean {
  return driver === 'none' || driver === 'pci-stub' || /vfio/.test(driver);
}

const cache = new WeakMap<HostState, PreparedHost>();

export function prepareHost(state: HostState): PreparedHost {
  let prepared = cache.get(state);
  if (!prepared) {
    prepared = build(state);
    cache.set(state, prepared);
  }
  return prepared;
}

function build(state: HostState): PreparedHost {
  const { host } = state;
  const isAmd = host.cpuVendor === 'amd' || host.iommu.model === 'amd-vi';
  const ignored = new Set(host.iommu.ignoreIommuFor);
  const groups: PreparedGroup[] = [];
  const deviceByAddress = new Map<string, PreparedDevice>();
  const devicesByClass = new Map<string, PreparedDevice[]>();
  const allDevices: PreparedDevice[] = [];

  for (const group of [...host.groups].sort((a, b) => a.id - b.id)) {
    const regions = [...group.reservedRegions].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    // `direct-relaxable` is ignored by VFIO and may overlap guest RAM (docs/domain.md#region-types).
    let reservedRegions = regions.filter((r) => r.type === 'reserved' || r.type === 'direct');
    if (isAmd) reservedRegions = withoutHtHole(reservedRegions);
    const msiRegions = regions.filter((r) => r.type === 'msi');
    const prepared: PreparedGroup = {
      id: group.id,
      reservedRegions,
      msiRegions,
      directRegions: regions.filter((r) => r.type === 'direct'),
      reservedSet: toRangeSet(reservedRegions),
      msiSet: toRangeSet(msiRegions),
      devices: [],
    };
    for (const facts of group.devices) {
      const device: PreparedDevice = {
        address: facts.address,
        facts,
        group: prepared,
        nativeSiblings: group.devices.filter((d) => d !== facts && !keepsGroupViable(d.driver)),
        ignoredByHypervisor: ignored.has(facts.address),
      };
      prepared.devices.push(device);
      deviceByAddress.set(device.address, device);
      allDevices.push(device);
      const sameClass = devicesByClass.get(facts.class);
      if (sameClass) sameClass.push(device);
      else devicesByClass.set(facts.class, [device]);
    }
    groups.push(prepared);
  }

  return {
    id: host.id,
    state,
    host,
    arch: host.arch,
    cpuVendor: host.cpuVendor,
    memory: host.memory,
    pool: host.pool,
    unschedulableReason: state.decommissioned
      ? 'decommissioned'
      : state.cordoned
        ? `cordoned: ${state.cordoned.reason}`
        : state.unreachable
          ? `unreachable: ${state.unreachable.reason}`
          : undefined,
    qemuVersion: parseQemuVersion(host.qemuVersion),
    isAmd,
    enforcesIovaRanges: kernelAtLeast(host.kernel, ...IOVA_ENFORCEMENT_SINCE),
    refusesDirectRegions: kernelAtLeast(host.kernel, ...DIRECT_REFUSAL_SINCE) || host.iommu.model === 'intel-vtd',
    iommuWidthBits: host.iommu.addressWidthBits,
    apertureLimit: 1n << BigInt(host.iommu.addressWidthBits),
    bridgeWindows: toRangeSet(host.bridgeWindows),
    groups,
    groupForbiddenUnion: forbiddenUnion(groups),
    classForbiddenUnion: new Map(
      [...devicesByClass].map(([deviceClass, devices]) => [
        deviceClass,
        forbiddenUnion(new Set(devices.map((d) => d.group))),
      ]),
    ),
    deviceByAddress,
    devicesByClass,
    allDevices,
    spapr: host.arch === 'ppc64le' ? prepareSpapr(host) : undefined,
    classKey: classKeyText(host, PER_HOST_FACTS),
  };
}

function forbiddenUnion(groups: Iterable<PreparedGroup>): RangeSet {
  return toRangeSet([...groups].flatMap((g) => [...g.reservedSet, ...g.msiSet]));
}

/** The parts of each region outside the AMD HT hole, keeping the region's type. */
function withoutHtHole(regions: readonly ReservedRegion[]): ReservedRegion[] {
  return regions.flatMap((region) =>
    subtractRanges([region], [AMD_HT_HOLE]).map((part) => ({ ...part, type: region.type })),
  );
}

function parseQemuVersion(version: string | undefined): readonly [number, number] | undefined {
  if (!version) return undefined;
  const [major, minor] = version.split('.').map(Number);
  return [major!, minor!];
}
