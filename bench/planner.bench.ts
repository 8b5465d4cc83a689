// Fleet conflict matrix at scale: 1,000 hosts × 10,000 guests, generated deterministically.
// Prints the full build, one host's reserved-region change (upsertHost), one guest change, and the
// same host change done by a NAIVE PAIRWISE implementation written below (no merged sets, no binary
// search, no incremental update), measured in the same run.
//   npx tsx --conditions=ferry-source bench/planner.bench.ts
import type { GuestState, HostDevice, HostState, IommuGroup, MemoryMapEntry, ReservedRegion } from '@ferry/domain';
import { ConflictMatrix, planMigration, type FleetSnapshot } from '@ferry/planner';
import { seededRandom } from '../test/support/seeded-random.js';

const HOSTS = Number(process.env.BENCH_HOSTS ?? 1000);
const GUESTS = Number(process.env.BENCH_GUESTS ?? 10_000);
const CONFLICT_RATE = Number(process.env.BENCH_CONFLICT_RATE ?? 0.05);
const GiB = 1n << 30n;

// ---- deterministic fleet (test/support/seeded-random.ts) ----------------------------------------------------------------------

const random = seededRandom(20_240_611);
const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

type Flavour = 'intel' | 'amd' | 'arm';
const flavourOf = (i: number): Flavour => (i % 20 < 9 ? 'intel' : i % 20 < 15 ? 'amd' : 'arm');
const CLASSES = ['network', 'storage', 'gpu', 'accelerator'] as const;

// Regions as real hosts report them: the MSI window on every group (0xfee00000 on x86, the SW_MSI
// window on Arm), the HyperTransport hole on AMD, RMRR-style direct-relaxable ranges below 4 GiB, and —
// with probability CONFLICT_RATE per group — a firmware `reserved` (or HiSilicon-style `msi`) range
// inside the first 64 GiB, which is what collides with guest RAM and forces the full evaluation path.
function makeRegions(flavour: Flavour): ReservedRegion[] {
  const regions: ReservedRegion[] = [];
  if (flavour === 'arm') regions.push({ start: 0x0800_0000n, end: 0x080f_ffffn, type: 'msi' });
  else regions.push({ start: 0xfee0_0000n, end: 0xfeef_ffffn, type: 'msi' });
  if (flavour === 'amd') regions.push({ start: 0xfd_0000_0000n, end: 0xff_ffff_ffffn, type: 'reserved' });
  if (flavour === 'intel' && random() < 0.3)
    regions.push({ start: 0x7b80_0000n, end: 0x7b9f_ffffn, type: 'direct-relaxable' });
  if (random() < CONFLICT_RATE) {
    const start = BigInt(int(8, 64)) * GiB + BigInt(int(0, 15)) * 0x1000_0000n;
    regions.push({ start, end: start + 0xf_ffffn, type: flavour === 'arm' && random() < 0.5 ? 'msi' : 'reserved' });
  }
  return regions.slice(0, 3);
}

function makeHost(i: number): HostState {
  const flavour = flavourOf(i);
  const groups: IommuGroup[] = [];
  let bus = 1;
  for (let g = 0, n = int(2, 8); g < n; g++) {
    const devices: HostDevice[] = [];
    for (let d = 0, m = int(1, 2); d < m; d++) {
      devices.push({
        address: `0000:${(bus++).toString(16).padStart(2, '0')}:00.${d}`,
        class: pick(CLASSES),
        driver: random() < 0.05 ? 'ixgbe' : 'vfio-pci',
        migratable: random() < 0.5,
        virtio: false,
        accessPlatform: false,
      });
    }
    groups.push({ id: g, reservedRegions: makeRegions(flavour), devices });
  }
  return {
    host: {
      id: `host-${String(i).padStart(4, '0')}`,
      pool: `pool-${i % 50}`,
      arch: flavour === 'arm' ? 'aarch64' : 'x86_64',
      cpuVendor: flavour,
      memory: BigInt(int(512, 1024)) * GiB,
      kernel: pick(['6.8.0', '6.8.0', '6.1.0', '5.15.0', '5.3.0']),
      qemuVersion: pick(['8.2', '9.0', '9.1']),
      iommu: {
        model: flavour === 'intel' ? 'intel-vtd' : flavour === 'amd' ? 'amd-vi' : 'arm-smmuv3',
        addressWidthBits: flavour === 'intel' && random() < 0.2 ? 39 : 48,
        interruptRemapping: random() < 0.97,
        allowUnsafeInterrupts: false,
        vfioBackends: ['type1', 'type1v2'],
        kvm: 'hv',
        ignoreIommuFor: [],
      },
      bridgeWindows: [],
      groups,
      spapr: undefined,
    },
    cordoned: null,
    decommissioned: false,
  };
}

function makeGuest(i: number, hosts: readonly HostState[]): GuestState {
  const host = hosts[Math.floor(random() * hosts.length)]!.host;
  const flavour = host.cpuVendor as Flavour;
  const ramGiB = int(4, 64);
  const base = flavour === 'arm' ? GiB : 0x1_0000_0000n;
  // 2–4 RAM ranges (NUMA nodes), 1 GiB apart, plus an x86 low-RAM range.
  const memoryMap: MemoryMapEntry[] =
    flavour === 'arm' ? [] : [{ start: 0n, end: 0x7fff_ffffn, kind: 'ram', label: 'low' }];
  let cursor = base;
  const pieces = int(flavour === 'arm' ? 2 : 1, 3);
  for (let p = 0; p < pieces; p++) {
    const size = (BigInt(ramGiB) * GiB) / BigInt(pieces);
    memoryMap.push({ start: cursor, end: cursor + size - 1n, kind: 'ram', label: `node${p}` });
    cursor += size + GiB;
  }
  const reservations = Array.from({ length: int(1, 2) }, (_, r) => ({
    id: `res-${r}`,
    kind: 'vfio' as const,
    deviceClass: pick(CLASSES),
  }));
  return {
    id: `vm-${String(i).padStart(5, '0')}`,
    hostId: host.id,
    definition: {
      machine: flavour === 'arm' ? 'virt-8.2' : pick(['pc-q35-7.2', 'pc-q35-8.2', 'pc-q35-6.2']),
      cpuVendor: flavour,
      memory: { ram: BigInt(ramGiB) * GiB, max: BigInt(ramGiB) * GiB, slots: 0 },
      physBits: 46,
      viommu: 'none',
      viommuAddressWidthBits: undefined,
    },
    guestOs: { acksAccessPlatform: true, xen: false, confidential: 'none', nestedDriversInGuest: false },
    memoryMap,
    memoryMapSource: 'explicit',
    devices: [{ id: 'net0', kind: 'virtio-net', iommuPlatform: true, transitional: false }],
    hotplugReservations: reservations,
    migration: null,
    removed: false,
  };
}

const hostStates = Array.from({ length: HOSTS }, (_, i) => makeHost(i));
const guestStates = Array.from({ length: GUESTS }, (_, i) => makeGuest(i, hostStates));
const fleet: FleetSnapshot = {
  hosts: new Map(hostStates.map((s) => [s.host.id, s])),
  guests: new Map(guestStates.map((s) => [s.id, s])),
  machineDefaults: [{ machine: 'pc-q35-*', virtioIommuPlatform: true }],
};

/** One group of one host gets a new reserved region inside typical guest RAM (a firmware update). */
function withNewRegion(state: HostState, n: number): HostState {
  const start = BigInt(6 + (n % 20)) * GiB;
  const groups = state.host.groups.map((g, index) =>
    index === 0
      ? { ...g, reservedRegions: [...g.reservedRegions, { start, end: start + 0x1f_ffffn, type: 'reserved' as const }] }
      : g,
  );
  return { ...state, host: { ...state.host, groups } };
}

// ---- NAIVE PAIRWISE IMPLEMENTATION (for comparison only) -----------------------------------------
// What a straightforward version does: no prepared hosts/guests, no merged forbidden sets, no binary
// search, and on any change it recomputes every guest × host cell, scanning every guest RAM range
// against every raw region of every candidate group. It checks the same core facts the real matrix
// checks for these guests (arch, vendor, memory, group viability, reserved/msi overlaps).
function naiveCell(guest: GuestState, host: HostState, usedMemory: bigint): string[] {
  const codes: string[] = [];
  const h = host.host;
  const guestArch = guest.definition.machine.startsWith('virt') ? 'aarch64' : 'x86_64';
  if (guestArch !== h.arch) codes.push('ARCH_MISMATCH');
  else if (guest.definition.cpuVendor !== h.cpuVendor) codes.push('CPU_VENDOR_MISMATCH');
  if (h.memory - usedMemory < (guest.definition.memory.max ?? guest.definition.memory.ram))
    codes.push('INSUFFICIENT_MEMORY');
  const ram = guest.memoryMap.filter((e) => e.kind === 'ram' || e.kind === 'device-memory');
  for (const reservation of guest.hotplugReservations) {
    let best: string[] | undefined;
    for (const group of h.groups) {
      for (const device of group.devices) {
        if (device.class !== reservation.deviceClass) continue;
        const found: string[] = [];
        if (group.devices.some((d) => d !== device && !/vfio|pci-stub|none/.test(d.driver)))
          found.push('GROUP_NOT_VIABLE');
        for (const region of group.reservedRegions) {
          for (const range of ram) {
            if (region.start <= range.end && range.start <= region.end) {
              if (region.type === 'msi') found.push('MSI_WINDOW_OVERLAPS_GUEST_RAM');
              else if (region.type !== 'direct-relaxable') found.push('RESV_OVERLAPS_GUEST_RAM');
            }
          }
        }
        if (!best || found.length < best.length) best = found;
      }
    }
    codes.push(...(best ?? ['NO_MATCHING_DEVICE_FOR_RESERVATION']));
  }
  return [...new Set(codes)].sort();
}

/** Every cell again; returns how many findings it saw (cells are not kept, to spare the heap ten million arrays). */
function naiveFullMatrix(hosts: readonly HostState[], guests: readonly GuestState[]): number {
  const used = new Map<string, bigint>();
  for (const g of guests)
    used.set(g.hostId!, (used.get(g.hostId!) ?? 0n) + (g.definition.memory.max ?? g.definition.memory.ram));
  let findings = 0;
  for (const guest of guests) {
    for (const host of hosts) {
      if (host.host.id === guest.hostId) continue;
      findings += naiveCell(guest, host, used.get(host.host.id) ?? 0n).length;
    }
  }
  return findings;
}

function naiveColumn(host: HostState, guests: readonly GuestState[], usedMemory: bigint): number {
  let n = 0;
  for (const guest of guests) if (guest.hostId !== host.host.id) n += naiveCell(guest, host, usedMemory).length;
  return n;
}

// ---- measurements ---------------------------------------------------------------------------

const ms = (start: number) => performance.now() - start;
const fmt = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(2));

console.log(
  `fleet: ${HOSTS} hosts × ${GUESTS} guests (${(HOSTS * GUESTS).toLocaleString('en')} migration cells), in-RAM region rate ${CONFLICT_RATE} per group, node ${process.version}`,
);

// CPU time next to wall time: on a shared machine other processes stretch the wall clock.
const cpuMs = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

let t = performance.now();
let cpu = process.cpuUsage();
const matrix = ConflictMatrix.build(fleet);
const buildMs = ms(t);
const buildCpuMs = cpuMs(cpu);
const page = matrix.query({ limit: 0 });
console.log(
  `full matrix build:            ${fmt(buildMs)} ms wall, ${fmt(buildCpuMs)} ms CPU  (${matrix.stats.migrationCells.toLocaleString('en')} migration + ${matrix.stats.hotplugCells.toLocaleString('en')} hot-plug cells, ${matrix.codeSets.size} distinct code sets)`,
);
console.log(`  verdicts: ${JSON.stringify(page.counts.byVerdict)}`);
console.log(
  `  top codes: ${Object.entries(page.counts.byCode)
    .sort((a, b) => b[1]! - a[1]!)
    .slice(0, 6)
    .map(([c, n]) => `${c}=${n}`)
    .join(' ')}`,
);

const CHANGES = 20;
const changed = Array.from({ length: CHANGES }, (_, n) => withNewRegion(hostStates[(n * 37) % HOSTS]!, n));
t = performance.now();
cpu = process.cpuUsage();
for (const state of changed) matrix.upsertHost(state);
const hostChangeMs = ms(t) / CHANGES;
console.log(
  `one host change (upsertHost): ${fmt(hostChangeMs)} ms wall, ${fmt(cpuMs(cpu) / CHANGES)} ms CPU  (mean of ${CHANGES}; each adds a reserved region inside typical guest RAM and recomputes ${GUESTS.toLocaleString('en')} cells)`,
);

t = performance.now();
for (let n = 0; n < CHANGES; n++) {
  const g = guestStates[(n * 101) % GUESTS]!;
  matrix.upsertGuest({
    ...g,
    hotplugReservations: [...g.hotplugReservations, { id: `extra-${n}`, kind: 'vfio', deviceClass: 'gpu' }],
  });
}
console.log(
  `one guest change (upsertGuest): ${fmt(ms(t) / CHANGES)} ms  (mean of ${CHANGES}; recomputes ${HOSTS.toLocaleString('en')} cells)`,
);

t = performance.now();
const q = matrix.query({ code: 'RESV_OVERLAPS_GUEST_RAM', limit: 10 });
console.log(`query(code=RESV_OVERLAPS_GUEST_RAM): ${fmt(ms(t))} ms  (total ${q.total.toLocaleString('en')})`);
t = performance.now();
const first = q.cells[0];
if (first) matrix.explainMigration(first.guestId, first.hostId);
console.log(`drill-down (explainMigration): ${fmt(ms(t))} ms`);

// Naive, same run. The column-only variant gives the naive code the same incremental scope.
const used = new Map<string, bigint>();
for (const g of guestStates)
  used.set(g.hostId!, (used.get(g.hostId!) ?? 0n) + (g.definition.memory.max ?? g.definition.memory.ram));
t = performance.now();
for (const state of changed.slice(0, 5)) naiveColumn(state, guestStates, used.get(state.host.id) ?? 0n);
const naiveColumnMs = ms(t) / 5;
const skipFull = process.env.BENCH_SKIP_NAIVE_FULL === '1';
let naiveFullMs = Number.NaN;
if (!skipFull) {
  t = performance.now();
  naiveFullMatrix(hostStates, guestStates);
  naiveFullMs = ms(t);
}
console.log(
  `NAIVE one host change, full pairwise rebuild: ${skipFull ? 'skipped (BENCH_SKIP_NAIVE_FULL=1)' : `${fmt(naiveFullMs)} ms`}`,
);
console.log(
  `NAIVE one host change, pairwise, that column only: ${fmt(naiveColumnMs)} ms  (mean of 5; fewer rules than the real matrix)`,
);
if (!skipFull) console.log(`speed-up, upsertHost vs naive full rebuild: ${fmt(naiveFullMs / hostChangeMs)}×`);
console.log(`speed-up, upsertHost vs naive column only:  ${fmt(naiveColumnMs / hostChangeMs)}×`);

// Sanity: the matrix agrees with planMigration on a sample of cells.
const snapshot = matrix.snapshot();
let checked = 0;
for (const cell of matrix.query({ limit: 200, offset: 12_345 }).cells) {
  if (cell.kind !== 'migration') continue;
  const plan = planMigration(snapshot, cell.guestId, cell.hostId);
  const planCodes = [...new Set(plan.conflicts.map((c) => c.code))].sort().join(',');
  const cellCodes = cell.findings
    .map((f) => f.code)
    .sort()
    .join(',');
  if (planCodes !== cellCodes)
    throw new Error(`matrix/plan mismatch for ${cell.guestId} → ${cell.hostId}: ${cellCodes} vs ${planCodes}`);
  checked++;
}
console.log(`matrix agrees with planMigration on ${checked} sampled cells`);
