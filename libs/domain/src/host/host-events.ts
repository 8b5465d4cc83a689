import type { DomainEvent } from '../events.js';
import type { Host, HostIommu, IommuGroup, ReservedRegion, Spapr } from '../fleet/host-schema.js';
import type { AddressRange } from '../address/range.js';

export type HostAttributes = Pick<
  Host,
  'pool' | 'arch' | 'cpuVendor' | 'memory' | 'kernel' | 'qemuVersion' | 'physBits' | 'libvirt'
>;

export type HostEvent =
  | DomainEvent<'HostRegistered', { host: Host }>
  | DomainEvent<'HostAttributesChanged', { attributes: HostAttributes }>
  | DomainEvent<'HostIommuReported', { iommu: HostIommu }>
  | DomainEvent<'IommuGroupsReported', { groups: IommuGroup[] }>
  | DomainEvent<'ReservedRegionsReported', { groupId: number; reservedRegions: ReservedRegion[] }>
  | DomainEvent<'BridgeWindowsReported', { bridgeWindows: AddressRange[] }>
  | DomainEvent<'SpaprWindowsReported', { spapr: Spapr | null }>
  | DomainEvent<'HostCordoned', { reason: string }>
  | DomainEvent<'HostUncordoned', Record<string, never>>
  | DomainEvent<'HostDecommissioned', { reason: string }>
  /** Its agent fell silent for longer than the configured time: not schedulable until it reports again. */
  | DomainEvent<'HostUnreachable', { reason: string; lastSeenAt: string | null }>
  | DomainEvent<'HostReachable', { agent: string }>;

export type HostEventType = HostEvent['type'];
