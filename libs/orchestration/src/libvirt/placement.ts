// Where a domain is, asked of libvirt on both hosts: the only source of truth for a migration's
// outcome once it has left Ferry's hands (finished, failed, or outlived its worker).
import type { DomainStateName, LibvirtConnection } from '@ferry/libvirt';

export type Placement = 'source' | 'destination' | 'both' | 'neither';

export interface DomainWhereabouts {
  placement: Placement;
  source: DomainStateName | null;
  destination: DomainStateName | null;
  /** In libvirt's terms, for the history: "source: running, destination: (not defined)". */
  said: string;
}

const ACTIVE: DomainStateName[] = ['running', 'paused', 'blocked', 'pmsuspended'];

/** Pure: which side runs the domain. A paused source after switch-over is not "running" there. */
export function placementOf(source: DomainStateName | null, destination: DomainStateName | null): Placement {
  const onSource = source === 'running' || source === 'blocked';
  const onDestination = destination !== null && ACTIVE.includes(destination);
  if (onSource && onDestination) return destination === 'running' ? 'both' : 'source';
  if (onDestination) return 'destination';
  if (onSource) return 'source';
  // Paused on the source and absent elsewhere: still the source's.
  return source !== null && ACTIVE.includes(source) ? 'source' : 'neither';
}

export async function whereIs(
  uuid: string,
  source: LibvirtConnection,
  destination: LibvirtConnection,
): Promise<DomainWhereabouts> {
  const [s, d] = await Promise.all([source.domainState(uuid), destination.domainState(uuid)]);
  return {
    placement: placementOf(s, d),
    source: s,
    destination: d,
    said: `libvirt on the source: ${s ?? 'no such domain'}; on the destination: ${d ?? 'no such domain'}`,
  };
}
