// A deterministic, deliberately varied fleet: every rule has a chance to fire somewhere. Used to hold
// the fleet matrix (with its shortcuts) to exactly what planMigration/planHotplug say for each cell.
import type { GuestInput, GuestState, HostInput, HostState, MachineDefault } from '@ferry/domain';
import { AMD_HT, ARM_SW_MSI, X86_MSI, guest, host } from './fleet-fixtures.js';

export function randomGenerator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    chance: (p: number) => next() < p,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}

type Flavour = 'intel' | 'amd' | 'arm' | 'power';
const CLASSES = ['network', 'storage', 'gpu'] as const;

export function randomFleet(seed: number, hostCount: number, guestCount: number) {
  const r = randomGenerator(seed);
  const hosts: HostState[] = [];
  for (let i = 0; i < hostCount; i++) hosts.push(randomHost(r, `h${i}`));
  const guests: GuestState[] = [];
  for (let i = 0; i < guestCount; i++) guests.push(randomGuest(r, `g${i}`, r.pick(hosts), guests));
  const machineDefaults: MachineDefault[] = [{ machine: 'pc-q35-*', virtioIommuPlatform: true }];
  return { hosts, guests, machineDefaults };
}

export type Random = ReturnType<typeof randomGenerator>;

export function randomHost(r: Random, id: string): HostState {
  const flavour = r.pick<Flavour>(['intel', 'intel', 'amd', 'arm', 'power']);
  const groups: NonNullable<HostInput['groups']> = [];
  let bus = 0x10;
  for (let g = 0, n = r.int(1, 4); g < n; g++) {
    const regions: NonNullable<NonNullable<HostInput['groups']>[number]['reservedRegions']> = [];
    if (flavour === 'arm') regions.push(ARM_SW_MSI);
    if (flavour === 'intel' || flavour === 'amd') regions.push(X86_MSI);
    if (flavour === 'amd' && r.chance(0.8)) regions.push(AMD_HT);
    if (r.chance(0.3)) {
      const start = BigInt(r.int(1, 40)) << 30n;
      regions.push({
        start: `0x${start.toString(16)}`,
        end: `0x${(start + 0xfffffn).toString(16)}`,
        type: r.pick(['reserved', 'msi', 'direct', 'direct-relaxable'] as const),
      });
    }
    const devices = [];
    for (let d = 0, m = r.int(1, 3); d < m; d++) {
      devices.push({
        address: `0000:${(bus++).toString(16).padStart(2, '0')}:00.${d}`,
        class: r.pick(CLASSES),
        driver: r.chance(0.15) ? 'ixgbe' : 'vfio-pci',
        migratable: r.chance(0.6),
        virtio: r.chance(0.1),
        accessPlatform: r.chance(0.5),
      });
    }
    groups.push({ id: g, reservedRegions: regions, devices });
  }
  const arch = flavour === 'arm' ? 'aarch64' : flavour === 'power' ? 'ppc64le' : 'x86_64';
  const input: Parameters<typeof host>[0] = {
    id,
    pool: r.pick(['p0', 'p1', 'p2']),
    arch,
    cpuVendor: flavour === 'power' ? 'ibm' : flavour,
    memory: `${r.pick([64, 128, 256])}GiB`,
    kernel: r.pick(['6.8.0', '6.8.0', '6.1.0', '5.3.18', '6.5.0']),
    qemuVersion: r.pick(['7.2', '8.2', '9.1']),
    iommu: {
      model:
        flavour === 'intel'
          ? 'intel-vtd'
          : flavour === 'amd'
            ? 'amd-vi'
            : flavour === 'arm'
              ? 'arm-smmuv3'
              : 'spapr-tce',
      addressWidthBits: r.pick([39, 48, 48]),
      interruptRemapping: r.chance(0.85),
      allowUnsafeInterrupts: r.chance(0.3),
      vfioBackends:
        flavour === 'power'
          ? r.pick([['spapr-tce-v1', 'spapr-tce-v2'], ['spapr-tce-v1']])
          : r.pick([['type1v2', 'type1'], ['type1v2'], ['noiommu']]),
      kvm: flavour === 'power' ? r.pick(['hv', 'pr'] as const) : 'hv',
      ignoreIommuFor: r.chance(0.1) ? ['0000:10:00.0'] : [],
    },
    bridgeWindows: r.chance(0.15) ? [{ start: '0x300000000', end: '0x30fffffff' }] : [],
    groups,
    spapr:
      flavour === 'power'
        ? {
            dma32Window: { start: '0x0', size: r.pick(['512MiB', '1GiB', '2GiB']) },
            dma64WindowAddr: r.pick(['0x800000000000000', '0x1000000000000000']),
            pageSizes: r.pick([
              ['4KiB', '64KiB', '16MiB'],
              ['64KiB', '16MiB'],
            ]),
            ddw: r.chance(0.8),
          }
        : undefined,
  };
  return host(input, { cordoned: r.chance(0.1) ? 'maintenance' : undefined });
}

export function randomGuest(r: Random, id: string, on: HostState, placed: readonly GuestState[]): GuestState {
  const h = on.host;
  const machine =
    h.arch === 'aarch64'
      ? 'virt-8.2'
      : h.arch === 'ppc64le'
        ? r.pick(['pseries-4.1', 'pseries-8.2'])
        : r.pick(['pc-q35-7.0', 'pc-q35-7.1', 'pc-q35-9.1', 'pc-i440fx-8.2']);
  const cpuVendor = h.arch === 'x86_64' ? r.pick(['intel', 'amd'] as const) : h.cpuVendor;
  const ram = r.pick([2, 8, 16, 48]);
  const viommu =
    h.arch === 'x86_64'
      ? r.pick(['none', 'none', 'intel-iommu', 'virtio-iommu'] as const)
      : h.arch === 'aarch64'
        ? r.pick(['none', 'smmuv3', 'virtio-iommu'] as const)
        : 'none';
  const taken = new Set(placed.filter((g) => g.hostId === h.id).flatMap((g) => g.devices.map((d) => d.hostDevice)));
  const free = h.groups.flatMap((g) => g.devices).filter((d) => !taken.has(d.address));
  const devices: NonNullable<GuestInput['devices']> = [
    { id: 'net0', kind: 'virtio-net', iommuPlatform: r.pick([true, false, undefined]), transitional: r.chance(0.2) },
  ];
  if (free.length > 0 && r.chance(0.3)) devices.push({ id: 'pt0', kind: 'vfio', hostDevice: r.pick(free).address });
  const reservations: NonNullable<GuestInput['hotplugReservations']> = [];
  for (let i = 0, n = r.int(0, 2); i < n; i++) {
    const roll = r.int(0, 9);
    if (roll < 6) reservations.push({ kind: 'vfio', deviceClass: r.pick(CLASSES) });
    else if (roll === 6) reservations.push({ kind: 'vfio', hostDevice: '0000:11:00.0' });
    else if (roll === 7) reservations.push({ kind: 'vdpa', deviceClass: 'network' });
    else if (roll === 8) reservations.push({ kind: 'virtio-blk' });
    else reservations.push({ kind: 'memory', size: '4GiB' });
  }
  const hotplugMemory = r.chance(0.3);
  return guest({
    id,
    host: h.id,
    machine,
    cpuVendor,
    memory: {
      ram: `${ram}GiB`,
      max: hotplugMemory ? `${ram * 2}GiB` : undefined,
      slots: hotplugMemory && r.chance(0.5) ? 2 : 0,
    },
    viommu,
    viommuAddressWidthBits: viommu === 'intel-iommu' ? r.pick([39, 48]) : undefined,
    guestOs: {
      acksAccessPlatform: r.chance(0.85),
      xen: r.chance(0.05),
      confidential: r.pick(['none', 'none', 'none', 'sev'] as const),
      nestedDriversInGuest: r.chance(0.2),
    },
    devices,
    hotplugReservations: reservations,
  });
}
