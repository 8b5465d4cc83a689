// PHYS_BITS_EXCEED_HOST: a guest whose vCPUs address more physical bits than the destination's CPUs.
import { describe, expect, it } from 'vitest';
import { planMigration } from '../../index.js';
import { codesOf, conflict, fleetOf, guest, host } from '../../test-support/fleet-fixtures.js';

const source = host({ id: 'src', physBits: 46 });
// q35, 16 GiB: RAM to 18 GiB − 1, hole64 [18 GiB, 50 GiB − 1] → highest guest-physical address 0xc7fffffff.
const vm = guest({ id: 'vm', host: 'src', memory: { ram: '16GiB' }, physBits: 46 });

const migrateTo = (physBits: number | undefined) =>
  planMigration(fleetOf([source, host({ id: 'dst', ...(physBits && { physBits }) })], [vm]), 'vm', 'dst');

describe('PHYS_BITS_EXCEED_HOST', () => {
  it('fires, with the widths and the guest’s highest address, when the destination’s CPUs have fewer bits', () => {
    const plan = migrateTo(39);
    const found = conflict(plan, 'PHYS_BITS_EXCEED_HOST');
    expect(found?.severity).toBe('error');
    expect(found?.evidence).toMatchObject({
      guestId: 'vm',
      hostId: 'dst',
      guestPhysBits: 46,
      hostPhysBits: 39,
      highestGuestAddress: '0xc7fffffff',
    });
    expect(plan.verdict).toBe('blocked');
  });

  it('is silent on a destination with as many bits, or one whose width is not recorded', () => {
    expect(codesOf(migrateTo(46))).not.toContain('PHYS_BITS_EXCEED_HOST');
    expect(codesOf(migrateTo(52))).not.toContain('PHYS_BITS_EXCEED_HOST');
    expect(codesOf(migrateTo(undefined))).not.toContain('PHYS_BITS_EXCEED_HOST');
  });
});
