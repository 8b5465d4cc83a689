// The class-based matrix on a fleet built like real ones (hardware models, templates, differing free
// memory and held devices): sampled cells, every hot-plug cell of a sample of guests, destination
// rankings, pages and aggregates must all say what the plan functions say.
import { describe, expect, it } from 'vitest';
import { ConflictMatrix, planHotplug, planMigration, rankDestinations, type FleetSnapshot } from '../index.js';
import { fleetOf } from '../test-support/fleet-fixtures.js';
import { randomGenerator } from '../test-support/random-fleet.js';
import { templateFleet } from '../test-support/template-fleet.js';

const findingsOf = (items: readonly { code: string; severity: string }[]) =>
  [...new Set(items.map((c) => `${c.code}:${c.severity}`))].sort();

describe('ConflictMatrix by equivalence class, on a 1,500 × 15,000 template fleet', () => {
  const { hosts, guests, machineDefaults } = templateFleet(2024, {
    hosts: 1500,
    guests: 15_000,
    models: 24,
    templates: 150,
  });
  const fleet: FleetSnapshot = fleetOf(hosts, guests, machineDefaults);
  const matrix = ConflictMatrix.build(fleet);
  const r = randomGenerator(7);

  it('shares work: far fewer classes than hosts and guests', () => {
    const classes = matrix.classCounts();
    expect(classes.hostClasses).toBeLessThan(hosts.length / 5);
    expect(classes.guestClasses).toBeLessThan(guests.length / 5);
    expect(matrix.stats.classPairs).toBeLessThan(hosts.length * guests.length);
  });

  it('agrees with planMigration on 1,500 random cells and planHotplug on every reservation of 300 guests', () => {
    const codes = new Set<string>();
    for (let n = 0; n < 1500; n++) {
      const g = r.pick(guests);
      const h = r.pick(hosts);
      if (h.host.id === g.hostId) continue;
      const cell = matrix.codeSets.get(matrix.migrationSet(g.id, h.host.id)!);
      const plan = planMigration(fleet, g.id, h.host.id);
      expect(findingsOf(cell.findings), `${g.id} → ${h.host.id}`).toEqual(findingsOf(plan.conflicts));
      for (const c of plan.conflicts) codes.add(c.code);
    }
    // Realistic diversity: most rules fire somewhere in the sample, the per-cell ones included.
    expect(codes.size).toBeGreaterThan(18);
    expect(codes).toContain('INSUFFICIENT_MEMORY');
    expect(codes).toContain('HOST_NOT_SCHEDULABLE');
    for (let n = 0; n < 300; n++) {
      const g = r.pick(guests);
      const cells = matrix.query({ guest: g.id, kind: 'hotplug', limit: 100 }).cells;
      expect(cells.map((c) => `${c.reservationId} ${findingsOf(c.findings).join(',')}`)).toEqual(
        g.hotplugReservations.map(
          (res) => `${res.id} ${findingsOf(planHotplug(fleet, g.id, res).conflicts).join(',')}`,
        ),
      );
    }
  });

  it('ranks destinations as rankDestinations does, and pages the same ranking', () => {
    for (const g of [guests[3]!, guests[4_000]!, guests[11_111]!]) {
      const expected = rankDestinations(fleet, g.id);
      const all = matrix.rankDestinations(g.id);
      expect({ ...all, total: undefined, offset: undefined, limit: undefined }).toEqual({
        ...expected,
        total: undefined,
        offset: undefined,
        limit: undefined,
      });
      const page = matrix.rankDestinations(g.id, { offset: 40, limit: 7 });
      expect(page.total).toBe(expected.destinations.length);
      expect(page.destinations).toEqual(expected.destinations.slice(40, 47));
    }
  });

  it("counts and pages a pool's cells exactly as walking them one by one does", () => {
    const poolHosts = hosts.filter((h) => h.host.pool === 'pool-7').sort((a, b) => (a.host.id < b.host.id ? -1 : 1));
    const walked: string[] = [];
    for (const g of [...guests].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      for (const h of poolHosts) {
        if (h.host.id === g.hostId) continue;
        const set = matrix.codeSets.get(matrix.migrationSet(g.id, h.host.id)!);
        if (set.codes.has('INSUFFICIENT_MEMORY') || set.verdict === 'ok') walked.push(`${g.id} ${h.host.id}`);
      }
    }
    for (const filter of [{ code: 'INSUFFICIENT_MEMORY' as const }, { verdict: 'ok' as const }]) {
      const total = matrix.query({ kind: 'migration', pool: 'pool-7', ...filter, limit: 0 }).total;
      const expected = walked.filter((key) => {
        const [g, h] = key.split(' ');
        const set = matrix.codeSets.get(matrix.migrationSet(g!, h!)!);
        return filter.code ? set.codes.has(filter.code) : set.verdict === filter.verdict;
      });
      expect(total).toBe(expected.length);
      const page = matrix.query({ kind: 'migration', pool: 'pool-7', ...filter, offset: 5_000, limit: 50 });
      expect(page.cells.map((c) => `${c.guestId} ${c.hostId}`)).toEqual(expected.slice(5_000, 5_050));
    }
  });

  it('aggregates per pool and per host class add up to the whole matrix', () => {
    const whole = matrix.query({ limit: 0 });
    for (const grouping of ['pool', 'hostClass'] as const) {
      const summary = matrix.summary(grouping);
      expect(summary.total).toBe(whole.total);
      expect(summary.groups.reduce((n, g) => n + g.total, 0)).toBe(whole.total);
      expect(summary.groups.reduce((n, g) => n + g.hosts, 0)).toBe(hosts.length);
      const blocked = summary.groups.reduce((n, g) => n + g.counts.byVerdict.blocked, 0);
      expect(blocked).toBe(whole.counts.byVerdict.blocked);
    }
    const someClass = matrix.summary('hostClass').groups[0]!;
    expect(matrix.query({ hostClass: someClass.key!, limit: 0 }).total).toBe(someClass.total);
  });
});
