import { describe, expect, it } from 'vitest';
import { fleetOf, group, guest, host, nic } from '../../../../libs/planner/src/test-support/fleet-fixtures.js';
import { decideGate } from './migration-gate.js';

const UUID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
// RAM 0–1 GiB; host "bad" reports an RMRR inside it in the group of its only NIC.
const vm = {
  ...guest({
    id: 'vm-1',
    host: 'src',
    memory: { ram: '1GiB' },
    hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }],
  }),
  libvirtDomain: { uuid: UUID, name: 'vm-1' },
};
const fleet = fleetOf(
  [
    host({ id: 'src', groups: [group(1, [nic('0000:01:00.0')])] }),
    host({ id: 'good', groups: [group(1, [nic('0000:01:00.0')])] }),
    host({
      id: 'bad',
      groups: [group(1, [nic('0000:01:00.0')], [{ start: '0x8000000', end: '0x80fffff', type: 'direct' }])],
    }),
  ],
  [vm],
);

describe('decideGate', () => {
  it('refuses a blocked plan with every blocking conflict, its evidence and remedy, and says who started it', () => {
    const answer = decideGate(fleet, 'bad', { uuid: UUID, name: 'vm-1' }, []);
    expect(answer.decision).toBe('refused');
    expect(answer.startedBy).toBeNull();
    expect(answer.message).toContain('[a migration started outside Ferry]');
    expect(answer.message).toMatch(/evidence: \{.*"0x80fffff"/);
    expect(answer.message).toContain('remedy: ');
  });

  it('names the Ferry migration that started it, and allows a clean destination', () => {
    const answer = decideGate(fleet, 'good', { uuid: UUID }, [
      { id: 'm-42', guestId: 'vm-1', destinationHostId: 'good' },
    ]);
    expect(answer).toMatchObject({ decision: 'allowed', guestId: 'vm-1', startedBy: { migrationId: 'm-42' } });
  });

  it('lets a domain Ferry does not know through, saying it did not check', () => {
    const answer = decideGate(fleet, 'bad', { uuid: '00000000-0000-4000-8000-000000000001' }, []);
    expect(answer).toMatchObject({ decision: 'allowed', guestId: null });
    expect(answer.reason).toContain('not checked');
  });
});
