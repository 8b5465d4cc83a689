import { describe, expect, it } from 'vitest';
import { rankDestinations } from '../index.js';
import { fleetOf, group, guest, host, nic } from '../test-support/fleet-fixtures.js';

describe('rankDestinations', () => {
  const withNic = { groups: [group(1, [nic('0000:81:00.0')])] };
  const hosts = [
    host({ id: 'src', ...withNic }),
    // ok, 512 GiB free and 256 GiB free
    host({ id: 'ok-small', memory: '256GiB', ...withNic }),
    host({ id: 'ok-big', memory: '512GiB', ...withNic }),
    // same free memory as ok-small: the id breaks the tie
    host({ id: 'ok-aaa', memory: '256GiB', ...withNic }),
    // warning only: a bridge window inside guest RAM
    host({ id: 'warn', memory: '1TiB', bridgeWindows: [{ start: '0x200000000', end: '0x20fffffff' }], ...withNic }),
    // blocked: no network device for the reservation
    host({ id: 'blocked', memory: '2TiB' }),
    host({ id: 'cordoned', ...withNic }, { cordoned: 'maintenance' }),
    host({ id: 'gone', ...withNic }, { decommissioned: true }),
  ];
  const vm = guest({ id: 'vm', host: 'src', hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }] });
  const ranking = rankDestinations(fleetOf(hosts, [vm]), 'vm');

  it('puts ok first, then warnings, blocked last; ties by free memory, then id', () => {
    expect(ranking.destinations.map((d) => [d.rank, d.host.id, d.verdict])).toEqual([
      [1, 'ok-big', 'ok'],
      [2, 'ok-aaa', 'ok'],
      [3, 'ok-small', 'ok'],
      [4, 'warn', 'warnings'],
      [5, 'blocked', 'blocked'],
    ]);
  });

  it('gives each destination its verdict, free memory and conflicts', () => {
    const blocked = ranking.destinations.find((d) => d.host.id === 'blocked');
    expect(blocked?.freeMemory).toBe('2TiB');
    expect(blocked?.conflicts.map((c) => c.code)).toEqual(['NO_MATCHING_DEVICE_FOR_RESERVATION']);
  });

  it('excludes cordoned and decommissioned hosts with the reason, and never lists the current host', () => {
    expect(ranking.excluded).toEqual([
      { host: { id: 'cordoned', version: null }, reason: 'cordoned: maintenance' },
      { host: { id: 'gone', version: null }, reason: 'decommissioned' },
    ]);
    expect(ranking.destinations.some((d) => d.host.id === 'src')).toBe(false);
  });

  it('counts the guests already on a host against its free memory', () => {
    const resident = guest({ id: 'resident', host: 'ok-big', memory: { ram: '300GiB' } });
    const ranked = rankDestinations(fleetOf(hosts, [vm, resident]), 'vm').destinations;
    expect(ranked.slice(0, 3).map((d) => [d.host.id, d.freeMemory])).toEqual([
      ['ok-aaa', '256GiB'],
      ['ok-small', '256GiB'],
      ['ok-big', '212GiB'],
    ]);
  });
});
