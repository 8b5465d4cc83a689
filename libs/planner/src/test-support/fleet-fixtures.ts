// Hand-built fleets for tests, written the way operators write fleet files (docs/fleet-format.md): hex
// strings and sizes go through the domain's own schemas, guests through its decider, so tests see
// exactly the states the API will hand the planner.
import {
  decideGuest,
  evolveGuest,
  guestSchema,
  hostSchema,
  type GuestInput,
  type GuestState,
  type HostInput,
  type HostState,
  type MachineDefault,
} from '@ferry/domain';
import type { ConflictCode } from '../conflict/codes.js';
import type { Conflict } from '../conflict/conflict.js';
import type { FleetSnapshot } from '../plans/fleet-snapshot.js';

type HostOverrides = Partial<Omit<HostInput, 'iommu'>> & { id: string; iommu?: Partial<HostInput['iommu']> };

/** An Intel x86 host with a healthy VT-d setup unless told otherwise. */
export function host(
  overrides: HostOverrides,
  status: { cordoned?: string; decommissioned?: boolean } = {},
): HostState {
  const { iommu, ...rest } = overrides;
  const parsed = hostSchema.parse({
    arch: 'x86_64',
    cpuVendor: 'intel',
    memory: '512GiB',
    kernel: '6.8.0',
    qemuVersion: '9.1',
    ...rest,
    iommu: {
      model: 'intel-vtd',
      addressWidthBits: 48,
      interruptRemapping: true,
      vfioBackends: ['type1v2', 'type1'],
      ...iommu,
    },
  });
  return {
    host: parsed,
    cordoned: status.cordoned ? { reason: status.cordoned } : null,
    decommissioned: status.decommissioned ?? false,
  };
}

/** A guest as DefineGuest would record it (memory map derived unless given). */
export function guest(overrides: Partial<GuestInput> & { id: string; host: string }): GuestState {
  const parsed = guestSchema.parse({
    machine: 'pc-q35-8.2',
    cpuVendor: 'intel',
    memory: { ram: '16GiB' },
    ...overrides,
  });
  const state = decideGuest({ type: 'DefineGuest', guest: parsed }, undefined).reduce<GuestState | undefined>(
    evolveGuest,
    undefined,
  );
  return state!;
}

export function fleetOf(
  hosts: HostState[],
  guests: GuestState[] = [],
  machineDefaults: MachineDefault[] = [],
): FleetSnapshot {
  return {
    hosts: new Map(hosts.map((h) => [h.host.id, h])),
    guests: new Map(guests.map((g) => [g.id, g])),
    machineDefaults,
  };
}

// ---- building blocks -------------------------------------------------------------------------

/** The x86 interrupt range every VT-d / AMD-Vi group reports as msi (docs/domain.md#platform-regions). */
export const X86_MSI = { start: '0xfee00000', end: '0xfeefffff', type: 'msi' as const };
/** AMD-Vi HyperTransport range (docs/domain.md#amd-ht-hole). */
export const AMD_HT = { start: '0xfd00000000', end: '0xffffffffff', type: 'reserved' as const };
/** Arm SMMU SW_MSI window, MSI_IOVA_BASE (docs/domain.md#platform-regions). */
export const ARM_SW_MSI = { start: '0x8000000', end: '0x80fffff', type: 'msi' as const };

type DeviceInput = NonNullable<HostInput['groups']>[number]['devices'] extends (infer D)[] | undefined ? D : never;
type RegionInput = NonNullable<HostInput['groups']>[number]['reservedRegions'] extends (infer R)[] | undefined
  ? R
  : never;

export function nic(address: string, extra: Partial<DeviceInput> = {}): DeviceInput {
  return {
    address,
    vendor: '0x15b3',
    device: '0x101b',
    class: 'network',
    driver: 'vfio-pci',
    migratable: true,
    ...extra,
  };
}

export function group(id: number, devices: DeviceInput[], regions: RegionInput[] = [X86_MSI]) {
  return { id, reservedRegions: regions, devices };
}

export const codesOf = (plan: { conflicts: Conflict[] }) => plan.conflicts.map((c) => c.code);
export const conflict = (plan: { conflicts: Conflict[] }, code: ConflictCode): Conflict | undefined =>
  plan.conflicts.find((c) => c.code === code);
