// Request bodies as an operator would send them (from examples/fleet-arm-migrate-then-hotplug.yaml).
// test/openapi.e2e.spec.ts parses each with the schema its route validates with.

export const hostExample = {
  id: 'host-b',
  pool: 'rack-7',
  arch: 'aarch64',
  cpuVendor: 'arm',
  memory: '512GiB',
  kernel: '6.8.0',
  iommu: { model: 'arm-smmuv3', addressWidthBits: 48, interruptRemapping: true, vfioBackends: ['type1v2'] },
  groups: [
    {
      id: 7,
      reservedRegions: [
        { start: '0x08000000', end: '0x080fffff', type: 'msi' },
        { start: '0x202110000', end: '0x20211ffff', type: 'msi' },
      ],
      devices: [{ address: '0000:7d:00.0', vendor: '0x19e5', device: '0xa222', class: 'network', driver: 'vfio-pci' }],
    },
  ],
};

export const guestExample = {
  id: 'vm-1',
  host: 'host-a',
  machine: 'virt-8.2',
  cpuVendor: 'arm',
  memory: { ram: '16GiB', max: '32GiB', slots: 4 },
  physBits: 44,
  devices: [
    { id: 'net0', kind: 'virtio-net', iommuPlatform: true },
    { id: 'disk0', kind: 'virtio-blk' },
  ],
  hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }],
};

export const machineDefaultsExample = [
  { machine: 'virt-*', virtioIommuPlatform: false },
  { machine: 'pc-q35-*', virtioIommuPlatform: true },
];

export const fleetExample = {
  hosts: [{ ...hostExample, id: 'host-a', groups: [] }, hostExample],
  guests: [guestExample],
  machineDefaults: machineDefaultsExample,
};

export const policyExample = {
  maxBandwidth: '1GiB',
  downtimeLimitMs: 300,
  downtimeSchedule: [{ afterStalledIterations: 5, downtimeLimitMs: 500 }],
  completionTimeoutPerGiB: 60,
  onTimeout: 'abort',
  autoConverge: true,
};
