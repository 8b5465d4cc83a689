import { describe, expect, it } from 'vitest';
import {
  decideGuest,
  evolveGuest,
  evolveHost,
  guestSchema,
  hostSchema,
  type GuestInput,
  type GuestState,
  type HostState,
} from '@ferry/domain';
import { agentReportSchema, planAgentSync, type AgentReport } from './agent-sync.js';

const FACTS = {
  arch: 'x86_64',
  cpuVendor: 'amd',
  memory: '256GiB',
  kernel: '6.8.0',
  libvirt: { uri: 'qemu+tcp://10.0.0.1/system' },
  iommu: { model: 'amd-vi', interruptRemapping: true, vfioBackends: ['type1v2'] },
};
const UUID = '11111111-2222-4333-8444-555555555555';
const domain = (name: string, uuid = UUID) => ({
  libvirt: { uuid, name },
  guest: { id: name, machine: 'pc-q35-7.2', cpuVendor: 'amd', memory: { ram: '256MiB' } },
});
const report = (domains: unknown[]): AgentReport => agentReportSchema.parse({ facts: FACTS, domains });

function recordedGuest(input: Partial<GuestInput> & { id: string; host: string }): GuestState {
  const guest = guestSchema.parse({ machine: 'pc-q35-7.2', cpuVendor: 'amd', memory: { ram: '256MiB' }, ...input });
  return decideGuest({ type: 'DefineGuest', guest }, undefined).reduce<GuestState | undefined>(evolveGuest, undefined)!;
}
const recordedHost = (id: string, pool?: string): HostState =>
  evolveHost(undefined, {
    type: 'HostRegistered',
    data: { host: hostSchema.parse({ ...FACTS, id, ...(pool ? { pool } : {}) }) },
  })!;

describe('planAgentSync', () => {
  it('registers an unknown host and defines each unknown domain as a guest placed there, mapped by UUID', () => {
    const plan = planAgentSync({
      hostId: 'h1',
      host: undefined,
      guests: new Map(),
      migrating: new Set(),
      report: report([domain('web-1')]),
    });
    expect(plan.host.type).toBe('RegisterHost');
    expect(plan.guests).toHaveLength(1);
    const events = decideGuest(plan.guests[0]!.command, undefined).map((e) => e.type);
    expect(events).toEqual(['GuestDefined', 'GuestPlaced', 'GuestDomainMapped']);
  });

  it('reports facts of a known host without touching the operator’s pool', () => {
    const plan = planAgentSync({
      hostId: 'h1',
      host: recordedHost('h1', 'rack-7'),
      guests: new Map(),
      migrating: new Set(),
      report: report([]),
    });
    expect(plan.host).toMatchObject({ type: 'ReportHostFacts', facts: { pool: 'rack-7' } });
  });

  it('finds a guest by UUID whatever its Ferry id, and moves it unless a Ferry migration of it is unfinished', () => {
    const existing = { ...recordedGuest({ id: 'billing-db', host: 'h0' }), libvirtDomain: { uuid: UUID, name: 'old' } };
    const guests = new Map([['billing-db', existing]]);
    const moved = planAgentSync({
      hostId: 'h1',
      host: undefined,
      guests,
      migrating: new Set(),
      report: report([domain('db')]),
    });
    expect(moved.guests[0]).toMatchObject({ guestId: 'billing-db', placementDeferred: false, isNew: false });
    expect(decideGuest(moved.guests[0]!.command, existing).map((e) => e.type)).toEqual([
      'GuestPlaced',
      'GuestDomainMapped',
    ]);

    const deferred = planAgentSync({
      hostId: 'h1',
      host: undefined,
      guests,
      migrating: new Set(['billing-db']),
      report: report([domain('db')]),
    });
    expect(deferred.guests[0]!.placementDeferred).toBe(true);
    const events = decideGuest(deferred.guests[0]!.command, existing);
    expect(events.map((e) => e.type)).toEqual(['GuestDomainMapped']); // the rename, not the move
  });

  it('keeps hot-plug reservations and an explicit memory map that the domain XML cannot show', () => {
    const existing = {
      ...recordedGuest({
        id: 'web-1',
        host: 'h1',
        hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }],
        memoryMap: [{ start: '0x0', end: '0xfffffff', kind: 'ram' }],
      }),
      libvirtDomain: { uuid: UUID, name: 'web-1' },
    };
    const plan = planAgentSync({
      hostId: 'h1',
      host: undefined,
      guests: new Map([['web-1', existing]]),
      migrating: new Set(),
      report: report([domain('web-1')]),
    });
    expect(decideGuest(plan.guests[0]!.command, existing)).toEqual([]);
  });

  it('gives a new domain whose name is taken by another guest an id made unique by its UUID', () => {
    const other = recordedGuest({ id: 'web-1', host: 'h9' });
    const plan = planAgentSync({
      hostId: 'h1',
      host: undefined,
      guests: new Map([['web-1', other]]),
      migrating: new Set(),
      report: report([domain('web-1')]),
    });
    expect(plan.guests[0]).toMatchObject({ guestId: 'web-1-11111111', isNew: true });
  });
});
