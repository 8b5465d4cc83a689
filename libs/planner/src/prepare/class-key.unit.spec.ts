// Class keys: equal keys must mean equal static answers, and every fact a static rule could read must
// be in the key. The deny lists (PER_HOST_FACTS, PER_GUEST_FACTS) are what these tests hold honest.
import type { GuestState, HostState } from '@ferry/domain';
import { describe, expect, it } from 'vitest';
import { planMigration } from '../plans/plan-migration.js';
import { PER_CELL_FINDINGS } from '../rules/migration/compatibility.js';
import { fleetOf } from '../test-support/fleet-fixtures.js';
import { randomFleet } from '../test-support/random-fleet.js';
import { PER_GUEST_FACTS, PER_HOST_FACTS } from './class-key.js';
import { prepareGuest } from './prepared-guest.js';
import { prepareHost } from './prepared-host.js';

const perCell = new Set<string>(Object.values(PER_CELL_FINDINGS).map((f) => f.code));
const staticFindings = (plan: { conflicts: { code: string; severity: string }[] }) =>
  [...new Set(plan.conflicts.filter((c) => !perCell.has(c.code)).map((c) => `${c.code}:${c.severity}`))].sort();

const { hosts, guests, machineDefaults } = randomFleet(31, 30, 80);

describe('host class keys', () => {
  it('hosts that differ only in id, memory, pool and cordon share a class and every static answer (same PCI functions held)', () => {
    for (const [i, original] of hosts.entries()) {
      // Every per-host fact taken from another host: a fact wrongly listed there would change answers here.
      const other = hosts[(i + 7) % hosts.length]!.host;
      const twin: HostState = {
        ...original,
        host: { ...original.host, ...pick(other, PER_HOST_FACTS), id: 'twin' },
        cordoned: original.cordoned ? null : { reason: 'drained' },
      };
      expect(prepareHost(twin).classKey).toBe(prepareHost(original).classKey);
      // The twin's guests hold the same PCI functions (what other guests hold is a column fact, not a host fact).
      const tenants = guests
        .filter((g) => g.hostId === original.host.id)
        .map((g) => ({ ...g, id: `${g.id}-t`, hostId: 'twin' }));
      const fleet = fleetOf([...hosts, twin], [...guests, ...tenants], machineDefaults);
      for (const g of guests.slice(0, 25)) {
        if (g.hostId === original.host.id) continue;
        expect(staticFindings(planMigration(fleet, g.id, 'twin'))).toEqual(
          staticFindings(planMigration(fleet, g.id, original.host.id)),
        );
      }
    }
  });

  it('every other host fact is part of the key', () => {
    const checked = new Set<string>();
    for (let i = 1; i < hosts.length; i++) {
      const [a, b] = [hosts[i - 1]!.host, hosts[i]!.host];
      for (const field of Object.keys(a) as (keyof typeof a)[]) {
        if ((PER_HOST_FACTS as readonly string[]).includes(field)) continue;
        if (JSON.stringify(a[field], big) === JSON.stringify(b[field], big)) continue;
        const mixed: HostState = { ...hosts[i - 1]!, host: { ...a, [field]: b[field] } };
        expect(prepareHost(mixed).classKey, field).not.toBe(prepareHost(hosts[i - 1]!).classKey);
        checked.add(field);
      }
    }
    expect(checked.size).toBeGreaterThanOrEqual(8);
  });
});

describe('guest class keys', () => {
  it('guests that differ only in id, placement and migration hints share a class and every destination answer', () => {
    const fleet = fleetOf(hosts, guests, machineDefaults);
    for (const original of guests.slice(0, 40)) {
      const other = guests[(guests.indexOf(original) + 11) % guests.length]!;
      const twin: GuestState = {
        ...original,
        ...pick(other, PER_GUEST_FACTS),
        id: 'twin',
        hostId: hosts.find((h) => h.host.id !== original.hostId)!.host.id,
        migration: { dirtyRate: 1000, workingSet: 1n << 30n } as unknown as GuestState['migration'],
      };
      expect(prepareGuest(twin).classKey).toBe(prepareGuest(original).classKey);
      const both = fleetOf(hosts, [...guests, twin], machineDefaults);
      for (const h of hosts) {
        if (h.host.id === original.hostId || h.host.id === twin.hostId) continue;
        const sourceFree = (plan: ReturnType<typeof planMigration>) =>
          // Source-side findings are per row (the guest's own host), not per class: compare the destination's.
          staticFindings({ conflicts: plan.conflicts.filter((c) => c.evidence.side !== 'source') });
        expect(sourceFree(planMigration(both, 'twin', h.host.id))).toEqual(
          sourceFree(planMigration(fleet, original.id, h.host.id)),
        );
      }
    }
  });

  it('every other guest fact is part of the key', () => {
    const checked = new Set<string>();
    for (let i = 1; i < guests.length; i++) {
      const [a, b] = [guests[i - 1]!, guests[i]!];
      for (const field of Object.keys(a) as (keyof GuestState)[]) {
        if ((PER_GUEST_FACTS as readonly string[]).includes(field)) continue;
        if (JSON.stringify(a[field], big) === JSON.stringify(b[field], big)) continue;
        const mixed = { ...a, [field]: b[field] } as GuestState;
        expect(prepareGuest(mixed).classKey, field).not.toBe(prepareGuest(a).classKey);
        checked.add(field);
      }
    }
    expect(checked.size).toBeGreaterThanOrEqual(5);
  });
});

const pick = <T extends object>(from: T, fields: readonly string[]): Partial<T> =>
  Object.fromEntries(fields.map((field) => [field, (from as Record<string, unknown>)[field]])) as Partial<T>;

const big = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);
