// Stored events are JSON: encode → JSON.stringify → (store) → JSON.parse → decode must give back the
// same event, with every bigint exact, including addresses up to 2^64 − 1 (a JavaScript number loses bits above 2^53).
import { describe, expect, it } from 'vitest';
import {
  decideGuest,
  decideHost,
  decodeEvent,
  encodeEventData,
  evolveHost,
  guestSchema,
  hostSchema,
  type DomainEvent,
  type GuestDefinedData,
  type GuestEvent,
  type HostEvent,
  type HostInput,
  type HostState,
} from '@ferry/domain';

const GiB = 1n << 30n;
const MAX_ADDRESS = (1n << 64n) - 1n;

/** What a store does to an event: JSON text in, JSON text out. */
const throughStore = (event: DomainEvent) => JSON.stringify(encodeEventData(event));
const roundTrip = <E extends DomainEvent>(event: E): E => decodeEvent<E>(event.type, JSON.parse(throughStore(event)));

const hostInput = (): HostInput => ({
  id: 'host-a',
  pool: 'rack-7',
  arch: 'x86_64',
  cpuVendor: 'amd',
  memory: '1TiB',
  kernel: '6.8.0',
  qemuVersion: '8.2',
  iommu: { model: 'amd-vi', addressWidthBits: 64, interruptRemapping: true, vfioBackends: ['type1v2'] },
  bridgeWindows: [{ start: '0x4000000000', end: '0x7fffffffff' }],
  groups: [
    {
      id: 12,
      reservedRegions: [
        { start: '0xfee00000', end: '0xfeefffff', type: 'msi' },
        { start: '0xfd00000000', end: '0xffffffffff', type: 'reserved' },
        // 2^53 + 1 and 2^64 − 1: both would be mangled by a JavaScript number.
        { start: '0x20000000000001', end: '0x20000000000001', type: 'direct-relaxable' },
        { start: '0xfffffffffffff000', end: '0xffffffffffffffff', type: 'reserved' },
      ],
      devices: [
        {
          address: '0000:81:00.0',
          vendor: '0x15b3',
          device: '0x101b',
          class: 'network',
          driver: 'vfio-pci',
          migratable: true,
        },
      ],
    },
  ],
});

const host = () => hostSchema.parse(hostInput());

describe('HostRegistered', () => {
  it('round-trips with every region address exact, up to 0xffffffffffffffff', () => {
    const event: HostEvent = { type: 'HostRegistered', data: { host: host() } };
    const back = roundTrip(event);
    expect(back).toEqual(event);
    const regions = (back.data as { host: { groups: { reservedRegions: { start: bigint; end: bigint }[] }[] } }).host
      .groups[0]!.reservedRegions;
    expect(regions.map((r) => [r.start, r.end])).toEqual([
      [0xfee0_0000n, 0xfeef_ffffn],
      [0xfd_0000_0000n, 0xff_ffff_ffffn],
      [(1n << 53n) + 1n, (1n << 53n) + 1n],
      [0xffff_ffff_ffff_f000n, MAX_ADDRESS],
    ]);
  });

  it('stores addresses as "0x…" strings, never as JSON numbers', () => {
    const json = throughStore({ type: 'HostRegistered', data: { host: host() } });
    expect(json).toContain('"end":"0xffffffffffffffff"');
    expect(json).toContain('"start":"0x20000000000001"');
    expect(json).not.toMatch(/"(start|end)":\d/);
  });
});

describe('GuestDefined', () => {
  const defineEvents = (input: Record<string, unknown> = {}) =>
    decideGuest(
      {
        type: 'DefineGuest',
        guest: guestSchema.parse({
          id: 'vm-1',
          host: 'host-a',
          machine: 'pc-q35-7.1',
          cpuVendor: 'amd',
          memory: { ram: '1000GiB', max: '1100GiB', slots: 8 },
          physBits: 48,
          migration: { dirtyRate: '20MiB/s', workingSet: '2GiB' },
          devices: [{ id: 'hba0', kind: 'vfio', hostDevice: '0000:81:00.0' }],
          hotplugReservations: [
            { kind: 'vfio', deviceClass: 'gpu' },
            { kind: 'memory', size: '64GiB' },
          ],
          ...input,
        }),
      },
      undefined,
    );

  it('round-trips with its derived memory map exact (a map beyond 1 TiB)', () => {
    const [defined] = defineEvents();
    const back = roundTrip(defined!);
    expect(back).toEqual(defined);
    // On pc-q35-7.1 with an AMD vCPU, 998 GiB above 4G moves to 1 TiB (docs/domain.md#amd-ht-hole); check it survived exactly.
    expect((back.data as GuestDefinedData).memoryMap).toContainEqual(
      expect.objectContaining({ start: 0x100_0000_0000n, end: 0x100_0000_0000n + 998n * GiB - 1n, kind: 'ram' }),
    );
  });

  it('round-trips an explicit memory map', () => {
    const [defined] = defineEvents({
      memoryMap: [
        { start: '0x0', end: '0x7fffffff', kind: 'ram' },
        { start: '0xfd00000000', end: '0xffffffffff', kind: 'reserved' },
      ],
    });
    expect((defined!.data as GuestDefinedData).memoryMapSource).toBe('explicit');
    expect(roundTrip(defined!)).toEqual(defined);
  });

  it('round-trips every event a guest definition produces', () => {
    const events = defineEvents();
    expect(events.map((e) => e.type)).toEqual([
      'GuestDefined',
      'MigrationHintsSet',
      'DeviceAttached',
      'HotplugReservationAdded',
      'HotplugReservationAdded',
      'GuestPlaced',
    ]);
    for (const event of events) expect(roundTrip(event)).toEqual(event);
  });
});

describe('the other events that carry bigints', () => {
  const h = host();
  it.each<DomainEvent>([
    {
      type: 'ReservedRegionsReported',
      data: { groupId: 12, reservedRegions: [{ start: 0xffff_ffff_ffff_f000n, end: MAX_ADDRESS, type: 'reserved' }] },
    },
    { type: 'BridgeWindowsReported', data: { bridgeWindows: [{ start: 0x40_0000_0000n, end: 0x7f_ffff_ffffn }] } },
    { type: 'IommuGroupsReported', data: { groups: h.groups } },
    { type: 'HostIommuReported', data: { iommu: h.iommu } },
    {
      type: 'SpaprWindowsReported',
      data: {
        spapr: {
          dma32Window: { start: 0n, size: 1n * GiB },
          dma64WindowAddr: 0x0800_0000_0000_0000n,
          pageSizes: [4096n, 65536n, 16n << 20n],
          ddw: true,
        },
      },
    },
    { type: 'SpaprWindowsReported', data: { spapr: null } },
    { type: 'MigrationHintsSet', data: { migration: { dirtyRate: '5000/s', workingSet: 3n * GiB } } },
    { type: 'HotplugReservationAdded', data: { reservation: { id: 'memory-1', kind: 'memory', size: 64n * GiB } } },
    { type: 'DeviceIommuPolicySet', data: { deviceId: 'net0', iommuPlatform: null } },
  ])('$type round-trips exactly', (event) => {
    expect(roundTrip(event)).toEqual(event);
  });
});

describe('HostAttributesChanged', () => {
  const attributes = {
    pool: 'rack-7',
    arch: 'x86_64',
    cpuVendor: 'amd',
    memory: 2n << 40n,
    kernel: '6.11.0',
    qemuVersion: '9.0',
  } as const;

  it('keeps its attribute values exact through the store', () => {
    const back = roundTrip<HostEvent>({ type: 'HostAttributesChanged', data: { attributes } });
    expect(back.data).toMatchObject({ attributes });
  });

  it('round-trips exactly, without gaining fields', () => {
    // Regression (fixed): event-codec decodes HostAttributesChanged with hostPatchSchema, whose partial() still applies the
    // `.default([])` of `groups` and `bridgeWindows`, so the decoded attributes gain `groups: []` and `bridgeWindows: []`.
    // (parseHostPatch strips these for PATCH bodies; decodeEvent does not.) See the replay test below for the effect.
    expect(roundTrip<HostEvent>({ type: 'HostAttributesChanged', data: { attributes } })).toEqual({
      type: 'HostAttributesChanged',
      data: { attributes },
    });
  });
});

describe('replaying stored events gives the state the live events gave', () => {
  it("keeps the host's IOMMU groups and bridge windows after a replayed kernel upgrade", () => {
    // Regression (fixed): the decoded HostAttributesChanged carries `groups: []` and `bridgeWindows: []` (schema defaults, above), and
    // evolveHost spreads the attributes over the host, so replaying the stream from the store erases every IOMMU group
    // with its reserved regions (e.g. the AMD HT range 0xfd00000000–0xffffffffff, docs/domain.md#platform-regions). A conflict check
    // against the replayed host then finds no reserved regions at all.
    const registered: HostEvent = { type: 'HostRegistered', data: { host: host() } };
    const upgraded = hostSchema.parse({ ...hostInput(), kernel: '6.11.0' });
    const live = [registered].reduce<HostState | undefined>(evolveHost, undefined);
    const changes = decideHost({ type: 'ApplyHost', host: upgraded }, live);
    expect(changes.map((e) => e.type)).toEqual(['HostAttributesChanged']);

    const liveAfter = changes.reduce<HostState | undefined>(evolveHost, live);
    const replayed = [registered, ...changes]
      .map((e) => roundTrip(e))
      .reduce<HostState | undefined>(evolveHost, undefined);
    expect(liveAfter!.host.groups).toHaveLength(1);
    expect(replayed!.host.groups).toEqual(liveAfter!.host.groups);
    expect(replayed!.host.bridgeWindows).toEqual([{ start: 0x40_0000_0000n, end: 0x7f_ffff_ffffn }]);
  });

  it('keeps a removed optional host attribute removed after a round trip', () => {
    // Regression (fixed): when the fleet file drops `pool`, decideHost emits HostAttributesChanged with `pool: undefined`, and
    // evolveHost spreads the attributes over the host, clearing it. toJsonSafe drops undefined keys, so the stored
    // event has no `pool` at all; on replay the spread keeps the old "rack-7". The state rebuilt from the store
    // differs from the state the decider saw (same for qemuVersion), and the next ApplyHost re-emits the event forever.
    const registered: HostEvent = { type: 'HostRegistered', data: { host: host() } };
    const withoutPool = hostSchema.parse({ ...hostInput(), pool: undefined });
    const live = evolveHost(undefined, registered);
    const changes = decideHost({ type: 'ApplyHost', host: withoutPool }, live);
    expect(changes.map((e) => e.type)).toEqual(['HostAttributesChanged']);

    const replayed = [registered, ...changes]
      .map((e) => roundTrip(e))
      .reduce<HostState | undefined>(evolveHost, undefined);
    expect(replayed!.host.pool).toBeUndefined();
    expect(decideHost({ type: 'ApplyHost', host: withoutPool }, replayed)).toEqual([]);
  });

  it('rebuilds the same guest state from stored events as from live ones', async () => {
    const { evolveGuest } = await import('@ferry/domain');
    const events: GuestEvent[] = decideGuest(
      {
        type: 'DefineGuest',
        guest: guestSchema.parse({
          id: 'vm-1',
          host: 'host-a',
          machine: 'virt-8.2',
          cpuVendor: 'arm',
          memory: { ram: '300GiB', max: '600GiB', slots: 8 },
        }),
      },
      undefined,
    );
    const live = events.reduce(evolveGuest, undefined);
    const replayed = events.map((e) => roundTrip(e)).reduce(evolveGuest, undefined);
    expect(replayed).toEqual(live);
  });
});
