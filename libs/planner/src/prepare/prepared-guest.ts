// Everything the rules ask of a guest, computed once per guest state. The GPA map is the one recorded
// when the guest was defined: migration rebuilds it unchanged on every later host (docs/domain.md#migrate-then-hotplug).
import {
  AMD_HT_HOLE,
  MACHINE_FAMILY_ARCH,
  intersection,
  parseMachineType,
  type AddressRange,
  type Arch,
  type GuestDevice,
  type GuestState,
  type MachineType,
  type MemoryMapEntry,
} from '@ferry/domain';
import type { TargetRequest } from './target-request.js';
import { classKeyText, PER_GUEST_FACTS } from './class-key.js';

export interface GuestRange extends AddressRange {
  kind: MemoryMapEntry['kind'];
  label: string | undefined;
}

export type GuestReservation = GuestState['hotplugReservations'][number];

export interface PreparedGuest {
  id: string;
  state: GuestState;
  machine: MachineType;
  arch: Arch;
  /** RAM the guest may grow to (maxmem): what a host must hold for it. */
  maxMemory: bigint;
  /** RAM and device memory: what VFIO maps at IOVA = GPA (dmaMappedRanges), sorted by start. */
  dmaRanges: readonly GuestRange[];
  maxDmaAddress: bigint | undefined;
  /** Any entry of the map (RAM, device memory, PCI holes) reaching into the AMD HT hole. */
  mapEntriesInHtHole: readonly GuestRange[];
  /** Without a vIOMMU, x86 and Arm `virt` map guest RAM with IOVA = GPA (the core invariant). */
  identityMapped: boolean;
  /** vfio and vdpa devices: they take a host device and its IOMMU group. */
  assignedDevices: readonly GuestDevice[];
  vfioDevices: readonly GuestDevice[];
  virtioDevices: readonly GuestDevice[];
  assignedReservations: readonly GuestReservation[];
  /** What a migration asks of the destination: its assigned devices (same PCI address) and vfio/vdpa reservations (docs/domain.md#migrate-then-hotplug). */
  migrationRequests: readonly TargetRequest[];
  migrationAssignsVfio: boolean;
  /**
   * Everything about the guest except identity and placement (class-key.ts): guests with equal keys
   * give equal answers from every rule that looks at a destination.
   */
  classKey: string;
}

export const isAssignedKind = (kind: string) => kind === 'vfio' || kind === 'vdpa';
export const isVirtioKind = (kind: string) => kind.startsWith('virtio-');

const cache = new WeakMap<GuestState, PreparedGuest>();

export function prepareGuest(state: GuestState): PreparedGuest {
  let prepared = cache.get(state);
  if (!prepared) {
    prepared = build(state);
    cache.set(state, prepared);
  }
  return prepared;
}

function build(state: GuestState): PreparedGuest {
  const { definition } = state;
  const machine = parseMachineType(definition.machine);
  if (!machine) throw new Error(`guest ${state.id}: unknown machine type ${definition.machine}`);
  // The entries dmaMappedRanges() selects (RAM, device memory), kept whole: evidence names their kind and label.
  const dmaRanges = state.memoryMap
    .filter((e) => e.kind === 'ram' || e.kind === 'device-memory')
    .map(asGuestRange)
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const assignedDevices = state.devices.filter((d) => isAssignedKind(d.kind));
  const assignedReservations = state.hotplugReservations.filter((r) => isAssignedKind(r.kind));
  const prepared: PreparedGuest = {
    id: state.id,
    state,
    machine,
    arch: (definition.arch ?? MACHINE_FAMILY_ARCH[machine.family]) as Arch,
    maxMemory: definition.memory.max ?? definition.memory.ram,
    dmaRanges,
    maxDmaAddress: dmaRanges.reduce<bigint | undefined>(
      (max, r) => (max === undefined || r.end > max ? r.end : max),
      undefined,
    ),
    mapEntriesInHtHole: state.memoryMap
      .filter((e) => intersection(e, AMD_HT_HOLE) !== undefined && e.kind !== 'reserved')
      .map(asGuestRange),
    identityMapped:
      definition.viommu === 'none' &&
      (machine.family === 'pc-q35' || machine.family === 'pc-i440fx' || machine.family === 'virt'),
    assignedDevices,
    vfioDevices: assignedDevices.filter((d) => d.kind === 'vfio'),
    virtioDevices: state.devices.filter((d) => isVirtioKind(d.kind)),
    assignedReservations,
    ...requestsOf(assignedDevices, assignedReservations),
    classKey: classKeyText(state, PER_GUEST_FACTS),
  };
  return prepared;
}

function requestsOf(devices: readonly GuestDevice[], reservations: readonly GuestReservation[]) {
  const migrationRequests: TargetRequest[] = [
    ...devices.map((d): TargetRequest => ({
      origin: 'device',
      id: d.id,
      kind: d.kind as TargetRequest['kind'],
      hostDevice: d.hostDevice,
      deviceClass: undefined,
    })),
    ...reservations.map((r): TargetRequest => ({
      origin: 'reservation',
      id: r.id,
      kind: r.kind as TargetRequest['kind'],
      hostDevice: r.hostDevice,
      deviceClass: r.deviceClass,
    })),
  ];
  return { migrationRequests, migrationAssignsVfio: migrationRequests.some((r) => r.kind === 'vfio') };
}

const asGuestRange = (entry: MemoryMapEntry): GuestRange => ({
  start: entry.start,
  end: entry.end,
  kind: entry.kind,
  label: entry.label,
});
