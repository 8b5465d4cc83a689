// The fleet matrix: every cell must say what planMigration/planHotplug say, and updates stay local.
import type { GuestState, HostState } from '@ferry/domain';
import { describe, expect, it } from 'vitest';
import {
  ConflictMatrix,
  planHotplug,
  planMigration,
  type Evaluation,
  type FleetSnapshot,
  type MatrixCell,
} from '../index.js';
import { fleetOf, group, guest, host, nic } from '../test-support/fleet-fixtures.js';
import { prepareGuest } from '../prepare/prepared-guest.js';
import { randomFleet } from '../test-support/random-fleet.js';

const findingsOf = (conflicts: readonly { code: string; severity: string }[]) =>
  [...new Set(conflicts.map((c) => `${c.code}:${c.severity}`))].sort();
const cellKey = (cell: MatrixCell) =>
  `${cell.kind} ${cell.guestId} ${cell.hostId} ${cell.reservationId ?? ''} ${findingsOf(cell.findings).join(',')}`;
const everyCell = (matrix: ConflictMatrix) => matrix.query({ limit: Number.MAX_SAFE_INTEGER }).cells;

/** What the plan functions say, cell by cell. */
function expectedCells(fleet: FleetSnapshot): string[] {
  const keys: string[] = [];
  for (const state of fleet.guests.values()) {
    for (const hostId of fleet.hosts.keys()) {
      if (hostId === state.hostId) continue;
      const plan = planMigration(fleet, state.id, hostId);
      keys.push(`migration ${state.id} ${hostId}  ${findingsOf(plan.conflicts).join(',')}`);
    }
    if (state.hostId && fleet.hosts.has(state.hostId)) {
      for (const reservation of state.hotplugReservations) {
        const plan = planHotplug(fleet, state.id, reservation);
        keys.push(`hotplug ${state.id} ${state.hostId} ${reservation.id} ${findingsOf(plan.conflicts).join(',')}`);
      }
    }
  }
  return keys.sort();
}

function snapshotOf(
  hosts: HostState[],
  guests: GuestState[],
  machineDefaults = randomFleet(1, 0, 0).machineDefaults,
): FleetSnapshot {
  return fleetOf(hosts, guests, machineDefaults);
}

describe('ConflictMatrix agrees with the plan functions', () => {
  it.each([11, 23, 42])('on a varied random fleet (seed %i)', (seed) => {
    const { hosts, guests, machineDefaults } = randomFleet(seed, 24, 90);
    const fleet = snapshotOf(hosts, guests, machineDefaults);
    const matrix = ConflictMatrix.build(fleet);
    const cells = everyCell(matrix).map(cellKey).sort();
    expect(cells).toEqual(expectedCells(fleet));
    // The fleet is varied enough to mean something: most codes occur somewhere.
    const codes = new Set(everyCell(matrix).flatMap((c) => c.findings.map((f) => f.code)));
    expect(codes.size).toBeGreaterThan(20);
  });
});

it('stays equal to the plan functions through a random sequence of host and guest changes', () => {
  const { hosts, guests, machineDefaults } = randomFleet(77, 16, 60);
  const spare = randomFleet(78, 16, 60);
  const hostMap = new Map(hosts.map((h) => [h.host.id, h]));
  const guestMap = new Map(guests.map((g) => [g.id, g]));
  const matrix = ConflictMatrix.build(snapshotOf(hosts, guests, machineDefaults));
  for (let step = 0; step < 40; step++) {
    const pick = <T>(items: T[]) => items[(step * 7919) % items.length]!;
    switch (step % 5) {
      case 0: {
        // a host's facts change wholesale (same id, another host's groups and IOMMU)
        const target = pick([...hostMap.values()]);
        const next: HostState = {
          ...target,
          host: { ...pick(spare.hosts).host, id: target.host.id, pool: target.host.pool },
        };
        hostMap.set(target.host.id, next);
        matrix.upsertHost(next);
        break;
      }
      case 1: {
        // a guest moves to another host
        const target = pick([...guestMap.values()]);
        const next: GuestState = { ...target, hostId: pick([...hostMap.keys()].reverse()) };
        guestMap.set(target.id, next);
        matrix.upsertGuest(next);
        break;
      }
      case 2: {
        // a guest gains a reservation
        const target = pick([...guestMap.values()]);
        const next: GuestState = {
          ...target,
          hotplugReservations: [
            ...target.hotplugReservations,
            { id: `r${step}`, kind: 'vfio', deviceClass: 'storage' },
          ],
        };
        guestMap.set(target.id, next);
        matrix.upsertGuest(next);
        break;
      }
      case 3: {
        const target = pick([...guestMap.values()]);
        guestMap.delete(target.id);
        matrix.removeGuest(target.id);
        break;
      }
      case 4: {
        // a new guest arrives (defined elsewhere, placed here)
        const arrival: GuestState = { ...pick(spare.guests), id: `new-${step}`, hostId: pick([...hostMap.keys()]) };
        guestMap.set(arrival.id, arrival);
        matrix.upsertGuest(arrival);
        break;
      }
    }
  }
  const fleet = snapshotOf([...hostMap.values()], [...guestMap.values()], machineDefaults);
  expect(everyCell(matrix).map(cellKey).sort()).toEqual(expectedCells(fleet));
});

describe('incremental updates', () => {
  const { hosts, guests, machineDefaults } = randomFleet(5, 20, 80);

  function recorded() {
    const events: Evaluation[] = [];
    const matrix = ConflictMatrix.build(snapshotOf(hosts, guests, machineDefaults), {
      onEvaluate: (e) => events.push(e),
    });
    events.length = 0;
    return { matrix, events };
  }

  const guestClasses = new Set(guests.map((g) => prepareGuest(g).classKey)).size;

  it("a host fact change evaluates at most one pair per guest class, all on that host's new class, and ends where a full rebuild ends", () => {
    const { matrix, events } = recorded();
    const target = hosts[3]!;
    const changed: HostState = {
      ...target,
      host: {
        ...target.host,
        groups: target.host.groups.map((g, i) =>
          i === 0
            ? {
                ...g,
                reservedRegions: [
                  ...g.reservedRegions,
                  { start: 0x2_0000_0000n, end: 0x2_001f_ffffn, type: 'reserved' as const },
                ],
              }
            : g,
        ),
      },
    };
    matrix.upsertHost(changed);

    const onTarget = guests.filter((g) => g.hostId === target.host.id).map((g) => g.id);
    const pairs = events.filter((e) => e.kind === 'class-pair');
    expect(pairs.length).toBeGreaterThan(0);
    expect(pairs.length).toBeLessThanOrEqual(guestClasses);
    expect(new Set(pairs.map((e) => e.hostId))).toEqual(new Set([target.host.id]));
    // Guests running on the host re-check their hot-plug reservations and source-side facts there; nobody else does.
    const others = events.filter((e) => e.kind !== 'class-pair').map((e) => e.guestId);
    expect(new Set(others).size).toBeLessThanOrEqual(onTarget.length);
    for (const id of others) expect(onTarget).toContain(id);

    const rebuilt = ConflictMatrix.build(
      snapshotOf(
        hosts.map((h) => (h === target ? changed : h)),
        guests,
        machineDefaults,
      ),
    );
    expect(everyCell(matrix).map(cellKey)).toEqual(everyCell(rebuilt).map(cellKey));
  });

  it("a guest change that keeps its footprint evaluates that guest's row only", () => {
    const { matrix, events } = recorded();
    const target = guests[7]!;
    const changed: GuestState = {
      ...target,
      hotplugReservations: [...target.hotplugReservations, { id: 'extra', kind: 'vfio', deviceClass: 'gpu' }],
    };
    matrix.upsertGuest(changed);
    // Nothing is evaluated until a read needs the new class's pairs; then one per column class.
    matrix.query({ guest: target.id, limit: 0 });

    expect(new Set(events.map((e) => e.guestId))).toEqual(new Set([target.id]));
    const pairs = events.filter((e) => e.kind === 'class-pair');
    expect(pairs.length).toBeGreaterThan(0);
    expect(pairs.length).toBeLessThanOrEqual(matrix.classCounts().columnClasses);
    const rebuilt = ConflictMatrix.build(
      snapshotOf(
        hosts,
        guests.map((g) => (g === target ? changed : g)),
        machineDefaults,
      ),
    );
    expect(everyCell(matrix).map(cellKey)).toEqual(everyCell(rebuilt).map(cellKey));
  });

  it('a guest that moves changes the free memory of the hosts it left and joined, a per-cell fact: nothing is re-evaluated', () => {
    const small = host({ id: 'small', memory: '64GiB', groups: [group(1, [nic('0000:81:00.0')])] });
    const big = host({ id: 'big', memory: '1TiB', groups: [group(1, [nic('0000:81:00.0')])] });
    const other = host({ id: 'other', memory: '1TiB' });
    const mover = guest({ id: 'mover', host: 'big', memory: { ram: '40GiB' } });
    const watcher = guest({ id: 'watcher', host: 'other', memory: { ram: '32GiB' } });
    const events: Evaluation[] = [];
    const matrix = ConflictMatrix.build(snapshotOf([small, big, other], [mover, watcher]), {
      onEvaluate: (e) => events.push(e),
    });
    const watcherToSmall = () =>
      matrix.query({ guest: 'watcher', host: 'small' }).cells[0]!.findings.map((f) => f.code);
    expect(watcherToSmall()).toEqual([]);

    events.length = 0;
    matrix.upsertGuest({ ...mover, hostId: 'small' });
    // 64 GiB − 40 GiB = 24 GiB free on "small": the watcher (32 GiB) no longer fits.
    expect(watcherToSmall()).toEqual(['INSUFFICIENT_MEMORY']);
    expect(events.filter((e) => e.kind === 'class-pair')).toEqual([]);
  });

  it("a guest that takes a PCI function changes that host's class for guests asking for the group", () => {
    const nicHost = (id: string) =>
      host({ id, groups: [group(1, [nic('0000:81:00.0')]), group(2, [nic('0000:82:00.0')])] });
    const holder = guest({
      id: 'holder',
      host: 'a',
      devices: [{ id: 'pt', kind: 'vfio', hostDevice: '0000:81:00.0' }],
    });
    const asker = guest({
      id: 'asker',
      host: 'c',
      devices: [{ id: 'pt', kind: 'vfio', hostDevice: '0000:81:00.0' }],
    });
    const plain = guest({ id: 'plain', host: 'c' });
    const fleet = snapshotOf([nicHost('a'), nicHost('b'), nicHost('c')], [holder, asker, plain]);
    const matrix = ConflictMatrix.build(fleet);
    const codes = (g: string, h: string) => matrix.query({ guest: g, host: h }).cells[0]!.findings.map((f) => f.code);
    expect(codes('asker', 'a')).toContain('GROUP_SPLIT_ACROSS_GUESTS');
    expect(codes('asker', 'b')).not.toContain('GROUP_SPLIT_ACROSS_GUESTS');
    expect(codes('plain', 'a')).toEqual(codes('plain', 'b'));

    matrix.upsertGuest({ ...holder, hostId: 'b' });
    expect(codes('asker', 'a')).not.toContain('GROUP_SPLIT_ACROSS_GUESTS');
    expect(codes('asker', 'b')).toContain('GROUP_SPLIT_ACROSS_GUESTS');
  });

  it('counts stay those of a fresh build after every kind of change (query tallies are never stale)', () => {
    const { matrix } = recorded();
    const counted = (m: ConflictMatrix) =>
      [{ limit: 0 }, { pool: 'p1', limit: 0 }, { code: 'INSUFFICIENT_MEMORY' as const, limit: 0 }].map((q) => {
        const page = m.query(q);
        return [page.total, page.counts];
      });
    counted(matrix);
    const mover = guests[9]!;
    const movedTo = hosts.find((h) => h.host.id !== mover.hostId)!.host.id;
    const roomy: HostState = { ...hosts[1]!, host: { ...hosts[1]!.host, memory: hosts[1]!.host.memory * 4n } };
    matrix.upsertGuest({ ...mover, hostId: movedTo });
    matrix.upsertHost(roomy);
    matrix.removeGuest(guests[10]!.id);
    const rebuilt = ConflictMatrix.build(
      snapshotOf(
        hosts.map((h) => (h === hosts[1] ? roomy : h)),
        guests.filter((g) => g !== guests[10]).map((g) => (g === mover ? { ...mover, hostId: movedTo } : g)),
        machineDefaults,
      ),
    );
    expect(counted(matrix)).toEqual(counted(rebuilt));
  });

  it('forgets guest classes nobody has any more, and stays right after re-creating them', () => {
    const { matrix } = recorded();
    const before = matrix.classCounts().guestClasses;
    let target = guests[12]!;
    for (let n = 0; n < 30; n++) {
      // Each change makes a class of its own and leaves the previous one empty.
      target = { ...target, hotplugReservations: [{ id: `r${n}`, kind: 'vfio', deviceClass: 'gpu' }] };
      matrix.upsertGuest(target);
    }
    expect(matrix.classCounts().guestClasses).toBeLessThanOrEqual(before + 1);
    expect(matrix.classCounts().guestClassesKept).toBe(matrix.classCounts().guestClasses);
    matrix.upsertGuest(guests[12]!);
    const rebuilt = ConflictMatrix.build(snapshotOf(hosts, guests, machineDefaults));
    expect(everyCell(matrix).map(cellKey)).toEqual(everyCell(rebuilt).map(cellKey));
  });

  it('removing a host or a guest ends where a rebuild without it ends', () => {
    const { matrix } = recorded();
    matrix.removeHost(hosts[2]!.host.id);
    matrix.removeGuest(guests[4]!.id);
    const rebuilt = ConflictMatrix.build(
      snapshotOf(
        hosts.filter((h) => h !== hosts[2]),
        guests.filter((g) => g !== guests[4]),
        machineDefaults,
      ),
    );
    expect(everyCell(matrix).map(cellKey)).toEqual(everyCell(rebuilt).map(cellKey));
  });

  it('adding a host after the build gives it a full column', () => {
    const { matrix } = recorded();
    const extra = randomFleet(99, 1, 0).hosts[0]!;
    const added: HostState = { ...extra, host: { ...extra.host, id: 'late' } };
    matrix.upsertHost(added);
    const rebuilt = ConflictMatrix.build(snapshotOf([...hosts, added], guests, machineDefaults));
    expect(everyCell(matrix).map(cellKey)).toEqual(everyCell(rebuilt).map(cellKey));
  });

  it('new machine defaults change virtio findings without touching migration cells', () => {
    const { matrix, events } = recorded();
    matrix.setMachineDefaults([]);
    expect(events.some((e) => e.kind === 'class-pair')).toBe(false);
    const rebuilt = ConflictMatrix.build(snapshotOf(hosts, guests, []));
    expect(everyCell(matrix).map(cellKey)).toEqual(everyCell(rebuilt).map(cellKey));
  });
});

describe('query', () => {
  const { hosts, guests, machineDefaults } = randomFleet(8, 15, 60);
  const matrix = ConflictMatrix.build(snapshotOf(hosts, guests, machineDefaults));
  const all = everyCell(matrix);
  const poolOf = new Map(hosts.map((h) => [h.host.id, h.host.pool]));

  it.each([
    ['kind', { kind: 'hotplug' as const }, (c: MatrixCell) => c.kind === 'hotplug'],
    ['pool', { pool: 'p1' }, (c: MatrixCell) => poolOf.get(c.hostId) === 'p1'],
    ['host', { host: hosts[4]!.host.id }, (c: MatrixCell) => c.hostId === hosts[4]!.host.id],
    ['guest', { guest: guests[9]!.id }, (c: MatrixCell) => c.guestId === guests[9]!.id],
    [
      'code',
      { code: 'CPU_VENDOR_MISMATCH' as const },
      (c: MatrixCell) => c.findings.some((f) => f.code === 'CPU_VENDOR_MISMATCH'),
    ],
    [
      'severity',
      { severity: 'corruption' as const },
      (c: MatrixCell) => c.findings.some((f) => f.severity === 'corruption'),
    ],
    ['verdict', { verdict: 'warnings' as const }, (c: MatrixCell) => c.verdict === 'warnings'],
  ])('filters by %s, with totals and counts over every match', (_name, filter, keep) => {
    const expected = all.filter(keep);
    expect(expected.length).toBeGreaterThan(0);
    const page = matrix.query({ ...filter, offset: 1, limit: 3 });
    expect(page.total).toBe(expected.length);
    expect(page.cells.map(cellKey)).toEqual(expected.slice(1, 4).map(cellKey));
    const byCode: Record<string, number> = {};
    for (const cell of expected)
      for (const code of new Set(cell.findings.map((f) => f.code))) byCode[code] = (byCode[code] ?? 0) + 1;
    expect(page.counts.byCode).toEqual(byCode);
    expect(page.counts.byVerdict.blocked).toBe(expected.filter((c) => c.verdict === 'blocked').length);
    expect(page.counts.bySeverity.warning).toBe(
      expected.filter((c) => c.findings.some((f) => f.severity === 'warning')).length,
    );
  });

  it("drills down: the plan behind a cell carries evidence for exactly the cell's findings", () => {
    const cell = matrix.query({ code: 'GROUP_NOT_VIABLE', kind: 'migration', limit: 1 }).cells[0]!;
    const plan = matrix.explainMigration(cell.guestId, cell.hostId);
    expect(findingsOf(plan.conflicts)).toEqual(findingsOf(cell.findings));
    expect(plan.conflicts.find((c) => c.code === 'GROUP_NOT_VIABLE')?.evidence.boundToNativeDriver).toBeDefined();
    const hotplug = matrix.query({ kind: 'hotplug', verdict: 'blocked', limit: 1 }).cells[0]!;
    expect(findingsOf(matrix.explainHotplug(hotplug.guestId, hotplug.reservationId!).conflicts)).toEqual(
      findingsOf(hotplug.findings),
    );
  });
});
