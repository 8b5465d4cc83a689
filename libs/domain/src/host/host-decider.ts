import { DomainError } from '../errors.js';
import { sameFacts } from '../canonical.js';
import type { Host, HostPatch } from '../fleet/host-schema.js';
import type { HostAttributes, HostEvent } from './host-events.js';

export interface HostState {
  host: Host;
  cordoned: { reason: string } | null;
  decommissioned: boolean;
  /** Set while the host's agent is silent (HostUnreachable); absent in states built before agents existed. */
  unreachable?: { reason: string; lastSeenAt: string | null } | null;
}

export type HostCommand =
  | { type: 'RegisterHost'; host: Host }
  /** Desired state from a fleet file: registers, or records only what differs. */
  | { type: 'ApplyHost'; host: Host }
  | { type: 'ReportHostFacts'; facts: HostPatch }
  | { type: 'CordonHost'; reason: string }
  | { type: 'UncordonHost' }
  | { type: 'DecommissionHost'; reason: string }
  | { type: 'MarkHostUnreachable'; reason: string; lastSeenAt: string | null }
  | { type: 'MarkHostReachable'; agent: string };

export function decideHost(command: HostCommand, state: HostState | undefined): HostEvent[] {
  switch (command.type) {
    case 'RegisterHost':
      if (state && !state.decommissioned) {
        throw new DomainError(
          'already-exists',
          'HOST_ALREADY_EXISTS',
          `host "${command.host.id}" is already registered`,
          [{ field: 'id', message: 'already registered' }],
        );
      }
      return [{ type: 'HostRegistered', data: { host: command.host } }];
    case 'ApplyHost':
      if (!state || state.decommissioned) return [{ type: 'HostRegistered', data: { host: command.host } }];
      return factChanges(state.host, command.host);
    case 'ReportHostFacts': {
      const current = live(state);
      return factChanges(current.host, { ...current.host, ...command.facts });
    }
    case 'CordonHost':
      if (live(state).cordoned?.reason === command.reason) return [];
      return [{ type: 'HostCordoned', data: { reason: command.reason } }];
    case 'UncordonHost':
      return live(state).cordoned ? [{ type: 'HostUncordoned', data: {} }] : [];
    case 'DecommissionHost':
      live(state);
      return [{ type: 'HostDecommissioned', data: { reason: command.reason } }];
    // Transitions only: a heartbeat from a reachable host, or a second silence, records nothing.
    case 'MarkHostUnreachable':
      if (live(state).unreachable) return [];
      return [{ type: 'HostUnreachable', data: { reason: command.reason, lastSeenAt: command.lastSeenAt } }];
    case 'MarkHostReachable':
      return live(state).unreachable ? [{ type: 'HostReachable', data: { agent: command.agent } }] : [];
  }
}

function live(state: HostState | undefined): HostState {
  if (!state || state.decommissioned) throw new DomainError('not-found', 'HOST_NOT_FOUND', 'host does not exist');
  return state;
}

const attributesOf = ({
  pool,
  arch,
  cpuVendor,
  memory,
  kernel,
  qemuVersion,
  physBits,
  libvirt,
}: Host): HostAttributes => ({
  pool,
  arch,
  cpuVendor,
  memory,
  kernel,
  qemuVersion,
  physBits,
  libvirt,
});

/** One event per section that changed, so a projection can recompute only what a change touches. */
function factChanges(current: Host, next: Host): HostEvent[] {
  const events: HostEvent[] = [];
  if (!sameFacts(attributesOf(current), attributesOf(next)))
    events.push({ type: 'HostAttributesChanged', data: { attributes: attributesOf(next) } });
  if (!sameFacts(current.iommu, next.iommu)) events.push({ type: 'HostIommuReported', data: { iommu: next.iommu } });
  events.push(...groupChanges(current, next));
  if (!sameFacts(current.bridgeWindows, next.bridgeWindows))
    events.push({ type: 'BridgeWindowsReported', data: { bridgeWindows: next.bridgeWindows } });
  if (!sameFacts(current.spapr ?? null, next.spapr ?? null))
    events.push({ type: 'SpaprWindowsReported', data: { spapr: next.spapr ?? null } });
  return events;
}

/** Only regions changed, same groups and devices: one ReservedRegionsReported per group; else the whole topology. */
function groupChanges(current: Host, next: Host): HostEvent[] {
  if (sameFacts(current.groups, next.groups)) return [];
  const topology = (host: Host) => host.groups.map((group) => ({ id: group.id, devices: group.devices }));
  if (!sameFacts(topology(current), topology(next)))
    return [{ type: 'IommuGroupsReported', data: { groups: next.groups } }];
  return next.groups
    .filter((group, index) => !sameFacts(group.reservedRegions, current.groups[index]!.reservedRegions))
    .map(
      (group) =>
        ({
          type: 'ReservedRegionsReported',
          data: { groupId: group.id, reservedRegions: group.reservedRegions },
        }) as HostEvent,
    );
}

export function evolveHost(state: HostState | undefined, event: HostEvent): HostState | undefined {
  if (event.type === 'HostRegistered')
    return { host: event.data.host, cordoned: null, decommissioned: false, unreachable: null };
  if (!state) return state;
  const host = state.host;
  switch (event.type) {
    case 'HostAttributesChanged': {
      // Assign every attribute, so one the operator removed (pool: undefined) stays removed on replay.
      const { pool, arch, cpuVendor, memory, kernel, qemuVersion, physBits, libvirt } = event.data.attributes;
      return {
        ...state,
        host: { ...host, pool, arch, cpuVendor, memory, kernel, qemuVersion, physBits, libvirt },
      };
    }
    case 'HostIommuReported':
      return { ...state, host: { ...host, iommu: event.data.iommu } };
    case 'IommuGroupsReported':
      return { ...state, host: { ...host, groups: event.data.groups } };
    case 'ReservedRegionsReported': {
      const { groupId, reservedRegions } = event.data;
      return {
        ...state,
        host: { ...host, groups: host.groups.map((g) => (g.id === groupId ? { ...g, reservedRegions } : g)) },
      };
    }
    case 'BridgeWindowsReported':
      return { ...state, host: { ...host, bridgeWindows: event.data.bridgeWindows } };
    case 'SpaprWindowsReported':
      return { ...state, host: { ...host, spapr: event.data.spapr ?? undefined } };
    case 'HostCordoned':
      return { ...state, cordoned: { reason: event.data.reason } };
    case 'HostUncordoned':
      return { ...state, cordoned: null };
    case 'HostDecommissioned':
      return { ...state, decommissioned: true };
    case 'HostUnreachable':
      return { ...state, unreachable: { reason: event.data.reason, lastSeenAt: event.data.lastSeenAt } };
    case 'HostReachable':
      return { ...state, unreachable: null };
    default:
      return exhaustive(event);
  }
}

function exhaustive(event: never): never {
  throw new Error(`unhandled host event ${(event as { type: string }).type}`);
}
