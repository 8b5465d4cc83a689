import { describe, expect, it } from 'vitest';
import { evolveHost, hostSchema, type HostState } from '@ferry/domain';
import { silentHosts } from './reachability.js';

const host = (id: string, unreachable = false): HostState => {
  const state = evolveHost(undefined, {
    type: 'HostRegistered',
    data: {
      host: hostSchema.parse({
        id,
        arch: 'x86_64',
        cpuVendor: 'amd',
        memory: '1GiB',
        kernel: '6.8.0',
        iommu: { model: 'amd-vi' },
      }),
    },
  })!;
  return unreachable ? { ...state, unreachable: { reason: 'earlier', lastSeenAt: null } } : state;
};

describe('silentHosts', () => {
  const hosts = new Map([
    ['quiet', host('quiet')],
    ['fresh', host('fresh')],
    ['already', host('already', true)],
  ]);
  const beats = [
    { hostId: 'quiet', agent: 'agent-q', lastSeenMs: 1_000 },
    { hostId: 'fresh', agent: 'agent-f', lastSeenMs: 39_000 },
    { hostId: 'already', agent: 'agent-a', lastSeenMs: 0 },
    { hostId: 'gone', agent: 'agent-g', lastSeenMs: 0 },
  ];

  it('names a host whose agent is silent beyond the limit, with how long and when it was last seen', () => {
    expect(silentHosts(beats, hosts, 40_000, 30_000)).toEqual([
      {
        hostId: 'quiet',
        lastSeenAt: '1970-01-01T00:00:01.000Z',
        reason: 'agent agent-q silent for 39 s (limit 30 s; last seen 1970-01-01T00:00:01.000Z)',
      },
    ]);
  });

  it('is silent about fresh heartbeats, hosts already unreachable and hosts Ferry does not have', () => {
    expect(silentHosts(beats, hosts, 30_500, 30_000)).toEqual([]);
  });

  it('does not count the time before this API started watching (an API restart flags no host)', () => {
    expect(silentHosts(beats, hosts, 40_000, 30_000, 35_000)).toEqual([]);
    expect(silentHosts(beats, hosts, 66_000, 30_000, 35_000).map((s) => s.hostId)).toEqual(['quiet']);
  });
});
