// Guest decider, given/when/then: given past events folded with evolveGuest, when a command,
// then the events decideGuest returns or the typed DomainError it throws.
import { describe, expect, it } from 'vitest';
import { deciderSpecification } from '../../../../test/support/decider-specification.js';
import {
  decideGuest,
  DomainError,
  evolveGuest,
  guestSchema,
  type Guest,
  type GuestCommand,
  type GuestDefinedData,
  type GuestEvent,
  type GuestInput,
  type GuestState,
  type MemoryMapEntry,
} from '@ferry/domain';

const GiB = 1n << 30n;

const guestInput = (): GuestInput => ({
  id: 'vm-1',
  host: 'host-a',
  machine: 'pc-q35-7.2',
  cpuVendor: 'intel',
  memory: { ram: '16GiB', max: '64GiB', slots: 4 },
  devices: [
    { id: 'net0', kind: 'virtio-net', iommuPlatform: true },
    { id: 'hba0', kind: 'vfio', hostDevice: '0000:81:00.0' },
  ],
  hotplugReservations: [
    { kind: 'vfio', deviceClass: 'network' },
    { kind: 'vfio', deviceClass: 'gpu' },
    { kind: 'vfio', deviceClass: 'network' },
  ],
});

const makeGuest = (edit: (input: GuestInput) => void = () => {}): Guest => {
  const input = guestInput();
  edit(input);
  return guestSchema.parse(input);
};

/** q35, 16 GiB RAM, maxmem 64 GiB, 4 slots (docs/domain.md#layout-x86), worked out by hand:
 *  ram ≥ 0xB0000000 → 2 GiB low; 14 GiB from 4 GiB → [4 GiB, 18 GiB); device memory at ROUND_UP(18 GiB, 1 GiB)
 *  with 64 − 16 + 4 × 1 = 52 GiB → [18 GiB, 70 GiB); the 32 GiB 64-bit hole follows → [70 GiB, 102 GiB). */
const EXPECTED_MAP: Pick<MemoryMapEntry, 'start' | 'end' | 'kind'>[] = [
  { start: 0n, end: 0x7fff_ffffn, kind: 'ram' },
  { start: 0x8000_0000n, end: 0xfebf_ffffn, kind: 'pci-hole' },
  { start: 0xfec0_0000n, end: 0xffff_ffffn, kind: 'mmio' },
  { start: 0x1_0000_0000n, end: 0x4_7fff_ffffn, kind: 'ram' },
  { start: 0x4_8000_0000n, end: 0x11_7fff_ffffn, kind: 'device-memory' },
  { start: 0x11_8000_0000n, end: 0x19_7fff_ffffn, kind: 'pci-hole' },
];
const shape = (map: readonly MemoryMapEntry[]) => map.map(({ start, end, kind }) => ({ start, end, kind }));

/** The events a fresh DefineGuest of makeGuest() records (the decider's own output, used only as history). */
const definedHistory = (guest: Guest = makeGuest()) => decideGuest({ type: 'DefineGuest', guest }, undefined);

const given = deciderSpecification<GuestCommand, GuestEvent, GuestState | undefined>({
  decide: decideGuest,
  evolve: evolveGuest,
  initialState: undefined,
});

describe('DefineGuest', () => {
  it('records GuestDefined with the derived memory map, then each device, each reservation, and the placement', () => {
    const guest = makeGuest();
    const events = given()
      .when({ type: 'DefineGuest', guest })
      .thenTypes([
        'GuestDefined',
        'DeviceAttached',
        'DeviceAttached',
        'HotplugReservationAdded',
        'HotplugReservationAdded',
        'HotplugReservationAdded',
        'GuestPlaced',
      ]);
    const defined = events[0]!.data as GuestDefinedData;
    expect(defined).toMatchObject({
      guestId: 'vm-1',
      memoryMapSource: 'derived',
      definition: {
        machine: 'pc-q35-7.2',
        cpuVendor: 'intel',
        memory: { ram: 16n * GiB, max: 64n * GiB, slots: 4 },
        physBits: 40,
        viommu: 'none',
      },
    });
    expect(shape(defined.memoryMap)).toEqual(EXPECTED_MAP);
    expect(events.slice(1, 3)).toEqual([
      { type: 'DeviceAttached', data: { device: guest.devices[0] } },
      { type: 'DeviceAttached', data: { device: guest.devices[1] } },
    ]);
    expect(events[6]).toEqual({ type: 'GuestPlaced', data: { hostId: 'host-a', previousHostId: null } });
  });

  it('gives reservations without an id stable ids from kind, class and position', () => {
    const events = definedHistory().filter((e) => e.type === 'HotplugReservationAdded');
    expect(events.map((e) => (e.data as { reservation: { id: string } }).reservation.id)).toEqual([
      'vfio-network-1',
      'vfio-gpu-1',
      'vfio-network-2',
    ]);
  });

  it('records migration hints when the guest has them', () => {
    const guest = makeGuest((g) => {
      g.migration = { dirtyRate: '5000/s', workingSet: '2GiB' };
    });
    const events = given()
      .when({ type: 'DefineGuest', guest })
      .thenTypes([
        'GuestDefined',
        'MigrationHintsSet',
        'DeviceAttached',
        'DeviceAttached',
        'HotplugReservationAdded',
        'HotplugReservationAdded',
        'HotplugReservationAdded',
        'GuestPlaced',
      ]);
    expect(events[1]!.data).toEqual({ migration: { dirtyRate: '5000/s', workingSet: 2n * GiB } });
  });

  it('refuses to define a guest twice', () => {
    given(...definedHistory())
      .when({ type: 'DefineGuest', guest: makeGuest() })
      .thenThrows(DomainError, { kind: 'already-exists', code: 'GUEST_ALREADY_EXISTS' });
  });

  it('defines a removed guest again', () => {
    given(...definedHistory(), { type: 'GuestRemoved', data: {} })
      .when({ type: 'DefineGuest', guest: makeGuest() })
      .then(definedHistory());
  });

  it('never gives two reservations the same id, even when an explicit id looks generated', () => {
    // Regression (fixed): withReservationIds counts only unnamed reservations, so an unnamed {vfio, network} gets "vfio-network-1"
    // although an explicit id "vfio-network-1" is already taken; two HotplugReservationAdded share one id and
    // RemoveHotplugReservation("vfio-network-1") would remove both. The schema only checks explicit ids for duplicates.
    const guest = makeGuest((g) => {
      g.hotplugReservations = [
        { id: 'vfio-network-1', kind: 'vfio', deviceClass: 'gpu' },
        { kind: 'vfio', deviceClass: 'network' },
      ];
    });
    const ids = definedHistory(guest)
      .filter((e) => e.type === 'HotplugReservationAdded')
      .map((e) => (e.data as { reservation: { id: string } }).reservation.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('ApplyGuest (desired state from a fleet file)', () => {
  it('defines a guest it has never seen, exactly as DefineGuest does', () => {
    given().when({ type: 'ApplyGuest', guest: makeGuest() }).then(definedHistory());
  });

  it('records nothing when the guest is identical', () => {
    given(...definedHistory())
      .when({ type: 'ApplyGuest', guest: makeGuest() })
      .then([]);
  });

  it('records nothing when reservations of different kinds are only reordered (ids stay stable)', () => {
    const reordered = makeGuest((g) => {
      g.hotplugReservations = [
        { kind: 'vfio', deviceClass: 'network' },
        { kind: 'vfio', deviceClass: 'network' },
        { kind: 'vfio', deviceClass: 'gpu' },
      ];
    });
    given(...definedHistory())
      .when({ type: 'ApplyGuest', guest: reordered })
      .then([]);
  });

  it('records only the new reservation, with the next id of its kind, when one is appended', () => {
    const more = makeGuest((g) => {
      g.hotplugReservations!.push({ kind: 'vfio', deviceClass: 'network' });
    });
    given(...definedHistory())
      .when({ type: 'ApplyGuest', guest: more })
      .then([
        {
          type: 'HotplugReservationAdded',
          data: { reservation: { id: 'vfio-network-3', kind: 'vfio', deviceClass: 'network' } },
        },
      ]);
  });

  it('records only DeviceIommuPolicySet when only a device policy changed', () => {
    const next = makeGuest((g) => {
      g.devices![0]!.iommuPlatform = false;
    });
    given(...definedHistory())
      .when({ type: 'ApplyGuest', guest: next })
      .then([{ type: 'DeviceIommuPolicySet', data: { deviceId: 'net0', iommuPlatform: false } }]);
  });

  it('records a null policy when the device falls back to the machine default', () => {
    const next = makeGuest((g) => {
      delete g.devices![0]!.iommuPlatform;
    });
    given(...definedHistory())
      .when({ type: 'ApplyGuest', guest: next })
      .then([{ type: 'DeviceIommuPolicySet', data: { deviceId: 'net0', iommuPlatform: null } }]);
  });

  it('detaches and re-attaches a device whose other facts changed', () => {
    const next = makeGuest((g) => {
      g.devices![1]!.hostDevice = '0000:82:00.0';
    });
    const events = given(...definedHistory())
      .when({ type: 'ApplyGuest', guest: next })
      .thenTypes(['DeviceDetached', 'DeviceAttached']);
    expect(events[1]!.data).toEqual({ device: next.devices[1] });
  });

  it('records GuestRedefined with a freshly derived map when memory changes', () => {
    // ram 32 GiB: 2 GiB low, 30 GiB from 4 GiB → [4 GiB, 34 GiB − 1] = [0x1_0000_0000, 0x8_7fff_ffff];
    // device memory at 34 GiB with 64 − 32 + 4 = 36 GiB → [34 GiB, 70 GiB − 1].
    const next = makeGuest((g) => {
      g.memory = { ram: '32GiB', max: '64GiB', slots: 4 };
    });
    const [event] = given(...definedHistory())
      .when({ type: 'ApplyGuest', guest: next })
      .thenTypes(['GuestRedefined']);
    const data = event!.data as GuestDefinedData;
    expect(data.memoryMapSource).toBe('derived');
    expect(data.definition.memory).toEqual({ ram: 32n * GiB, max: 64n * GiB, slots: 4 });
    const dma = data.memoryMap
      .filter((e) => e.kind === 'ram' || e.kind === 'device-memory')
      .map((e) => [e.start, e.end]);
    expect(dma).toEqual([
      [0n, 0x7fff_ffffn],
      [0x1_0000_0000n, 0x8_7fff_ffffn],
      [34n * GiB, 70n * GiB - 1n],
    ]);
  });

  it('records only GuestPlaced when the host changes', () => {
    const next = makeGuest((g) => {
      g.host = 'host-b';
    });
    given(...definedHistory())
      .when({ type: 'ApplyGuest', guest: next })
      .then([{ type: 'GuestPlaced', data: { hostId: 'host-b', previousHostId: 'host-a' } }]);
  });

  it('records GuestRedefined with source "explicit" when an explicit map replaces a derived one', () => {
    const next = makeGuest((g) => {
      g.memoryMap = [{ start: '0x0', end: '0x3ffffffff', kind: 'ram' }];
    });
    const [event] = given(...definedHistory())
      .when({ type: 'ApplyGuest', guest: next })
      .thenTypes(['GuestRedefined']);
    expect(event!.data).toMatchObject({
      memoryMapSource: 'explicit',
      memoryMap: [{ start: 0n, end: 0x3_ffff_ffffn, kind: 'ram' }],
    });
  });
});

describe('the memory map recorded at definition stays what it was on the first host (docs/domain.md#migrate-then-hotplug)', () => {
  it('survives placements, migrations, device and reservation changes', () => {
    const history: GuestEvent[] = [
      ...definedHistory(),
      { type: 'GuestMigrated', data: { fromHostId: 'host-a', toHostId: 'host-b', migrationId: 'm-1' } },
      {
        type: 'DeviceAttached',
        data: { device: { id: 'gpu0', kind: 'vfio', transitional: false, hostDevice: '0000:83:00.0' } },
      },
      { type: 'DeviceIommuPolicySet', data: { deviceId: 'net0', iommuPlatform: null } },
      { type: 'HotplugReservationRemoved', data: { reservationId: 'vfio-gpu-1' } },
      {
        type: 'GuestOsReported',
        data: { guestOs: { acksAccessPlatform: false, xen: false, confidential: 'none', nestedDriversInGuest: true } },
      },
      { type: 'MigrationHintsSet', data: { migration: { workingSet: 4n * GiB } } },
      { type: 'GuestPlaced', data: { hostId: 'host-c', previousHostId: 'host-b' } },
    ];
    const { state } = given(...history);
    expect(state!.hostId).toBe('host-c');
    expect(state!.memoryMapSource).toBe('derived');
    expect(shape(state!.memoryMap)).toEqual(EXPECTED_MAP);
  });

  it('is taken from the recorded event, never re-derived, and a new host does not redefine it', () => {
    // A map recorded by an earlier Ferry (here: 3 GiB low, as on i440fx) differs from what q35 derivation gives today.
    // Moving the guest to another host must keep it: migration rebuilds the identical map on the destination.
    const recorded: MemoryMapEntry[] = [
      { start: 0n, end: 0xbfff_ffffn, kind: 'ram', label: 'recorded on host-a' },
      { start: 0x1_0000_0000n, end: 0x4_3fff_ffffn, kind: 'ram', label: 'recorded on host-a' },
    ];
    const [definedEvent, ...rest] = definedHistory();
    const history: GuestEvent[] = [
      { type: 'GuestDefined', data: { ...(definedEvent!.data as GuestDefinedData), memoryMap: recorded } },
      ...rest,
    ];
    const next = makeGuest((g) => {
      g.host = 'host-b';
    });
    const { state, when } = given(...history);
    expect(state!.memoryMap).toEqual(recorded);
    when({ type: 'ApplyGuest', guest: next }).then([
      { type: 'GuestPlaced', data: { hostId: 'host-b', previousHostId: 'host-a' } },
    ]);
    const after = decideGuest({ type: 'ApplyGuest', guest: next }, state).reduce(evolveGuest, state);
    expect(after!.memoryMap).toEqual(recorded);
  });

  it('keeps an explicit map across a host change', () => {
    const explicit = makeGuest((g) => {
      g.memoryMap = [{ start: '0x0', end: '0x3ffffffff', kind: 'ram' }];
    });
    const moved = makeGuest((g) => {
      g.memoryMap = [{ start: '0x0', end: '0x3ffffffff', kind: 'ram' }];
      g.host = 'host-b';
    });
    const history = definedHistory(explicit);
    given(...history)
      .when({ type: 'ApplyGuest', guest: moved })
      .then([{ type: 'GuestPlaced', data: { hostId: 'host-b', previousHostId: 'host-a' } }]);
    expect(given(...history).state).toMatchObject({
      memoryMapSource: 'explicit',
      memoryMap: [{ start: 0n, end: 0x3_ffff_ffffn, kind: 'ram' }],
    });
  });
});

describe('devices', () => {
  it('attaches a new device', () => {
    const device = { id: 'gpu0', kind: 'vfio' as const, transitional: false, hostDevice: '0000:83:00.0' };
    given(...definedHistory())
      .when({ type: 'AttachDevice', device })
      .then([{ type: 'DeviceAttached', data: { device } }]);
  });

  it('refuses to attach a device id twice', () => {
    given(...definedHistory())
      .when({ type: 'AttachDevice', device: { id: 'net0', kind: 'virtio-blk', transitional: false } })
      .thenThrows(DomainError, { kind: 'already-exists', code: 'DEVICE_ALREADY_ATTACHED' });
  });

  it('detaches an attached device', () => {
    given(...definedHistory())
      .when({ type: 'DetachDevice', deviceId: 'hba0' })
      .then([{ type: 'DeviceDetached', data: { deviceId: 'hba0' } }]);
  });

  it('fails to detach an unknown device', () => {
    given(...definedHistory())
      .when({ type: 'DetachDevice', deviceId: 'nope' })
      .thenThrows(DomainError, { kind: 'not-found', code: 'DEVICE_NOT_FOUND' });
  });

  it('fails to detach a device that was already detached', () => {
    given(...definedHistory(), { type: 'DeviceDetached', data: { deviceId: 'hba0' } })
      .when({ type: 'DetachDevice', deviceId: 'hba0' })
      .thenThrows(DomainError, { kind: 'not-found', code: 'DEVICE_NOT_FOUND' });
  });

  it('sets a device IOMMU policy once, and records nothing when it is already set', () => {
    given(...definedHistory())
      .when({ type: 'SetDeviceIommuPolicy', deviceId: 'net0', iommuPlatform: false })
      .then([{ type: 'DeviceIommuPolicySet', data: { deviceId: 'net0', iommuPlatform: false } }]);
    given(...definedHistory())
      .when({ type: 'SetDeviceIommuPolicy', deviceId: 'net0', iommuPlatform: true })
      .then([]);
    given(...definedHistory())
      .when({ type: 'SetDeviceIommuPolicy', deviceId: 'nope', iommuPlatform: true })
      .thenThrows(DomainError, { kind: 'not-found', code: 'DEVICE_NOT_FOUND' });
  });
});

describe('hot-plug reservations', () => {
  it('adds a named reservation and refuses the same id again', () => {
    given(...definedHistory())
      .when({ type: 'AddHotplugReservation', reservation: { id: 'spare-gpu', kind: 'vfio', deviceClass: 'gpu' } })
      .then([
        {
          type: 'HotplugReservationAdded',
          data: { reservation: { id: 'spare-gpu', kind: 'vfio', deviceClass: 'gpu' } },
        },
      ]);
    given(...definedHistory())
      .when({ type: 'AddHotplugReservation', reservation: { id: 'vfio-gpu-1', kind: 'vfio', deviceClass: 'gpu' } })
      .thenThrows(DomainError, { kind: 'already-exists', code: 'RESERVATION_ALREADY_EXISTS' });
  });

  it('gives an unnamed reservation the next free id of its kind', () => {
    // Regression (fixed): AddHotplugReservation runs withReservationIds over the existing reservations plus the new one, but the existing
    // ones already carry ids and are not counted, so the new {vfio, network} is named "vfio-network-1" again and the
    // command fails with RESERVATION_ALREADY_EXISTS: an operator cannot add a third network reservation through the API
    // (ApplyGuest with the same list names it "vfio-network-3").
    given(...definedHistory())
      .when({ type: 'AddHotplugReservation', reservation: { kind: 'vfio', deviceClass: 'network' } })
      .then([
        {
          type: 'HotplugReservationAdded',
          data: { reservation: { id: 'vfio-network-3', kind: 'vfio', deviceClass: 'network' } },
        },
      ]);
  });

  it('removes a reservation by id, and fails for an unknown one', () => {
    given(...definedHistory())
      .when({ type: 'RemoveHotplugReservation', reservationId: 'vfio-gpu-1' })
      .then([{ type: 'HotplugReservationRemoved', data: { reservationId: 'vfio-gpu-1' } }]);
    given(...definedHistory())
      .when({ type: 'RemoveHotplugReservation', reservationId: 'vfio-gpu-9' })
      .thenThrows(DomainError, { kind: 'not-found', code: 'RESERVATION_NOT_FOUND' });
  });
});

describe('placement and migration', () => {
  it('places a guest on another host and records nothing for its current host', () => {
    given(...definedHistory())
      .when({ type: 'PlaceGuest', hostId: 'host-b' })
      .then([{ type: 'GuestPlaced', data: { hostId: 'host-b', previousHostId: 'host-a' } }]);
    given(...definedHistory())
      .when({ type: 'PlaceGuest', hostId: 'host-a' })
      .then([]);
  });

  it('records a migration from the host the guest is on', () => {
    given(...definedHistory())
      .when({ type: 'RecordMigration', fromHostId: 'host-a', toHostId: 'host-b', migrationId: 'm-1' })
      .then([{ type: 'GuestMigrated', data: { fromHostId: 'host-a', toHostId: 'host-b', migrationId: 'm-1' } }]);
  });

  it('refuses a migration from a host the guest is not on', () => {
    given(...definedHistory())
      .when({ type: 'RecordMigration', fromHostId: 'host-b', toHostId: 'host-c', migrationId: 'm-1' })
      .thenThrows(DomainError, { kind: 'conflict', code: 'GUEST_NOT_ON_SOURCE' });
  });

  it('follows the guest after a migration: the old source is now wrong', () => {
    const migrated: GuestEvent = {
      type: 'GuestMigrated',
      data: { fromHostId: 'host-a', toHostId: 'host-b', migrationId: 'm-1' },
    };
    expect(given(...definedHistory(), migrated).state!.hostId).toBe('host-b');
    given(...definedHistory(), migrated)
      .when({ type: 'RecordMigration', fromHostId: 'host-a', toHostId: 'host-c', migrationId: 'm-2' })
      .thenThrows(DomainError, { kind: 'conflict', code: 'GUEST_NOT_ON_SOURCE' });
  });
});

describe('a guest that does not exist', () => {
  it.each<GuestCommand>([
    { type: 'AttachDevice', device: { id: 'x', kind: 'virtio-rng', transitional: false } },
    { type: 'DetachDevice', deviceId: 'net0' },
    { type: 'PlaceGuest', hostId: 'host-b' },
    { type: 'RecordMigration', fromHostId: 'host-a', toHostId: 'host-b', migrationId: 'm' },
    { type: 'RemoveGuest' },
  ])('$type fails with not-found, before definition and after removal', (command) => {
    given().when(command).thenThrows(DomainError, { kind: 'not-found', code: 'GUEST_NOT_FOUND' });
    given(...definedHistory(), { type: 'GuestRemoved', data: {} })
      .when(command)
      .thenThrows(DomainError, { kind: 'not-found', code: 'GUEST_NOT_FOUND' });
  });
});
