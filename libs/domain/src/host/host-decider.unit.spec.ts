// Host decider, given/when/then: given past events folded with evolveHost, when a command,
// then the events decideHost returns or the typed DomainError it throws.
import { describe, expect, it } from 'vitest';
import { deciderSpecification } from '../../../../test/support/decider-specification.js';
import {
  decideHost,
  DomainError,
  evolveHost,
  hostSchema,
  type Host,
  type HostCommand,
  type HostEvent,
  type HostInput,
  type HostState,
} from '@ferry/domain';

const hostInput = (): HostInput => ({
  id: 'host-a',
  pool: 'rack-7',
  arch: 'x86_64',
  cpuVendor: 'amd',
  memory: '512GiB',
  kernel: '6.8.0',
  iommu: { model: 'amd-vi', addressWidthBits: 48, interruptRemapping: true, vfioBackends: ['type1v2'] },
  groups: [
    {
      id: 12,
      reservedRegions: [
        { start: '0xfee00000', end: '0xfeefffff', type: 'msi' },
        { start: '0xfd00000000', end: '0xffffffffff', type: 'reserved' },
      ],
      devices: [{ address: '0000:81:00.0', class: 'network', driver: 'vfio-pci' }],
    },
    {
      id: 13,
      reservedRegions: [{ start: '0xfee00000', end: '0xfeefffff', type: 'msi' }],
      devices: [{ address: '0000:82:00.0', class: 'gpu', driver: 'nouveau' }],
    },
  ],
});

/** A fresh parse each time, so "identical" means equal facts, not the same object. */
const makeHost = (edit: (input: HostInput) => void = () => {}): Host => {
  const input = hostInput();
  edit(input);
  return hostSchema.parse(input);
};

const registered = (): HostEvent => ({ type: 'HostRegistered', data: { host: makeHost() } });

const given = deciderSpecification<HostCommand, HostEvent, HostState | undefined>({
  decide: decideHost,
  evolve: evolveHost,
  initialState: undefined,
});

describe('RegisterHost', () => {
  it('registers a new host', () => {
    given()
      .when({ type: 'RegisterHost', host: makeHost() })
      .then([{ type: 'HostRegistered', data: { host: makeHost() } }]);
  });

  it('refuses to register a host twice', () => {
    given(registered())
      .when({ type: 'RegisterHost', host: makeHost() })
      .thenThrows(DomainError, { kind: 'already-exists', code: 'HOST_ALREADY_EXISTS' });
  });

  it('registers a decommissioned host again', () => {
    given(registered(), { type: 'HostDecommissioned', data: { reason: 'retired' } })
      .when({ type: 'RegisterHost', host: makeHost() })
      .then([{ type: 'HostRegistered', data: { host: makeHost() } }]);
  });
});

describe('ApplyHost (desired state from a fleet file)', () => {
  it('registers a host it has never seen', () => {
    given()
      .when({ type: 'ApplyHost', host: makeHost() })
      .then([{ type: 'HostRegistered', data: { host: makeHost() } }]);
  });

  it('records nothing when the facts are identical', () => {
    given(registered()).when({ type: 'ApplyHost', host: makeHost() }).then([]);
  });

  it('reports exactly one ReservedRegionsReported, for the one group whose regions changed', () => {
    // A new kernel adds an IVMD exclusion range to group 13 only.
    const next = makeHost((h) => {
      h.groups![1]!.reservedRegions!.push({ start: '0xa0000000', end: '0xa00fffff', type: 'reserved' });
    });
    given(registered())
      .when({ type: 'ApplyHost', host: next })
      .then([
        {
          type: 'ReservedRegionsReported',
          data: {
            groupId: 13,
            reservedRegions: [
              { start: 0xfee0_0000n, end: 0xfeef_ffffn, type: 'msi' },
              { start: 0xa000_0000n, end: 0xa00f_ffffn, type: 'reserved' },
            ],
          },
        },
      ]);
  });

  it('converges: after the ReservedRegionsReported is applied, the same file records nothing', () => {
    const next = makeHost((h) => {
      h.groups![0]!.reservedRegions = [];
    });
    const first = given(registered()).state;
    const events = decideHost({ type: 'ApplyHost', host: next }, first);
    expect(events.map((e) => e.type)).toEqual(['ReservedRegionsReported']);
    const after = events.reduce<HostState | undefined>(evolveHost, first);
    expect(after!.host.groups.map((g) => [g.id, g.reservedRegions.length])).toEqual([
      [12, 0],
      [13, 1],
    ]);
    expect(decideHost({ type: 'ApplyHost', host: next }, after)).toEqual([]);
  });

  it('reports the whole topology (IommuGroupsReported) when a device changes', () => {
    // The GPU in group 13 is rebound from nouveau to vfio-pci.
    const next = makeHost((h) => {
      h.groups![1]!.devices![0]!.driver = 'vfio-pci';
    });
    given(registered())
      .when({ type: 'ApplyHost', host: next })
      .then([{ type: 'IommuGroupsReported', data: { groups: next.groups } }]);
  });

  it('reports the whole topology when a group appears, even if regions changed too', () => {
    const next = makeHost((h) => {
      h.groups![0]!.reservedRegions = [];
      h.groups!.push({ id: 14, devices: [{ address: '0000:83:00.0', driver: 'vfio-pci' }] });
    });
    given(registered())
      .when({ type: 'ApplyHost', host: next })
      .then([{ type: 'IommuGroupsReported', data: { groups: next.groups } }]);
  });

  it('reports attribute changes (kernel upgrade) without touching groups', () => {
    const next = makeHost((h) => {
      h.kernel = '6.11.0';
    });
    given(registered())
      .when({ type: 'ApplyHost', host: next })
      .then([
        {
          type: 'HostAttributesChanged',
          data: {
            attributes: {
              pool: 'rack-7',
              arch: 'x86_64',
              cpuVendor: 'amd',
              memory: 512n << 30n,
              kernel: '6.11.0',
              qemuVersion: undefined,
            },
          },
        },
      ]);
  });

  it('registers a decommissioned host again', () => {
    given(registered(), { type: 'HostDecommissioned', data: { reason: 'retired' } })
      .when({ type: 'ApplyHost', host: makeHost() })
      .then([{ type: 'HostRegistered', data: { host: makeHost() } }]);
  });
});

describe('ReportHostFacts', () => {
  it('records only the section a patch changes', () => {
    given(registered())
      .when({ type: 'ReportHostFacts', facts: { iommu: { ...makeHost().iommu, interruptRemapping: false } } })
      .then([{ type: 'HostIommuReported', data: { iommu: { ...makeHost().iommu, interruptRemapping: false } } }]);
  });

  it('fails for an unknown host', () => {
    given()
      .when({ type: 'ReportHostFacts', facts: { kernel: '6.9.0' } })
      .thenThrows(DomainError, { kind: 'not-found', code: 'HOST_NOT_FOUND' });
  });
});

describe('cordon and uncordon', () => {
  it('cordons a host', () => {
    given(registered())
      .when({ type: 'CordonHost', reason: 'firmware update' })
      .then([{ type: 'HostCordoned', data: { reason: 'firmware update' } }]);
  });

  it('is idempotent: cordoning again for the same reason records nothing', () => {
    given(registered(), { type: 'HostCordoned', data: { reason: 'firmware update' } })
      .when({ type: 'CordonHost', reason: 'firmware update' })
      .then([]);
  });

  it('records a new reason when cordoned again for another one', () => {
    given(registered(), { type: 'HostCordoned', data: { reason: 'firmware update' } })
      .when({ type: 'CordonHost', reason: 'bad DIMM' })
      .then([{ type: 'HostCordoned', data: { reason: 'bad DIMM' } }]);
  });

  it('uncordons a cordoned host', () => {
    given(registered(), { type: 'HostCordoned', data: { reason: 'firmware update' } })
      .when({ type: 'UncordonHost' })
      .then([{ type: 'HostUncordoned', data: {} }]);
  });

  it('is idempotent: uncordoning a host that is not cordoned records nothing', () => {
    given(registered()).when({ type: 'UncordonHost' }).then([]);
    given(registered(), { type: 'HostCordoned', data: { reason: 'x' } }, { type: 'HostUncordoned', data: {} })
      .when({ type: 'UncordonHost' })
      .then([]);
  });

  it('fails to cordon an unknown host', () => {
    given()
      .when({ type: 'CordonHost', reason: 'x' })
      .thenThrows(DomainError, { kind: 'not-found', code: 'HOST_NOT_FOUND' });
  });
});

describe('DecommissionHost', () => {
  it('decommissions a host', () => {
    given(registered())
      .when({ type: 'DecommissionHost', reason: 'retired' })
      .then([{ type: 'HostDecommissioned', data: { reason: 'retired' } }]);
  });

  it.each<HostCommand>([
    { type: 'DecommissionHost', reason: 'again' },
    { type: 'CordonHost', reason: 'x' },
    { type: 'UncordonHost' },
    { type: 'ReportHostFacts', facts: { kernel: '6.9.0' } },
  ])('treats a decommissioned host as gone: $type fails with not-found', (command) => {
    given(registered(), { type: 'HostDecommissioned', data: { reason: 'retired' } })
      .when(command)
      .thenThrows(DomainError, { kind: 'not-found', code: 'HOST_NOT_FOUND' });
  });
});

describe('evolveHost', () => {
  it('replaces only the reported group in ReservedRegionsReported', () => {
    const { state } = given(registered(), {
      type: 'ReservedRegionsReported',
      data: { groupId: 13, reservedRegions: [] },
    });
    expect(state!.host.groups[0]!.reservedRegions).toHaveLength(2);
    expect(state!.host.groups[1]!.reservedRegions).toEqual([]);
  });

  it('tracks cordon and decommission state', () => {
    expect(given(registered(), { type: 'HostCordoned', data: { reason: 'r' } }).state).toMatchObject({
      cordoned: { reason: 'r' },
      decommissioned: false,
    });
    expect(given(registered(), { type: 'HostDecommissioned', data: { reason: 'r' } }).state).toMatchObject({
      decommissioned: true,
    });
  });
});
