// The `libvirt` execution backend: finds the domain and the two hosts' libvirt from Ferry's facts
// (hosts[].libvirt.uri, the guest's mapped domain UUID) and runs or follows the migration there.
import type { GuestState, HostState } from '@ferry/domain';
import { jobActive, LibvirtConnection } from '@ferry/libvirt';
import type { ConvergencePolicy } from '../migration/convergence-policy.js';
import { libvirtKnobsFor, type LibvirtKnobs } from './libvirt-knobs.js';
import { LibvirtMigration, type LibvirtMigrationTarget } from './libvirt-migration.js';
import { whereIs, type DomainWhereabouts } from './placement.js';

/** What Ferry lacks to drive a guest through libvirt; the message names the missing fact. */
export class LibvirtTargetError extends Error {}

/** What libvirt says about a migration whose worker is gone. */
export interface JobWhereabouts extends DomainWhereabouts {
  /** An outgoing migration job is still running on the source. */
  jobRunning: boolean;
}

export class LibvirtBackend {
  private readonly connections = new Map<string, LibvirtConnection>();

  constructor(private readonly options: { pollMs?: number } = {}) {}

  connection(uri: string): LibvirtConnection {
    let connection = this.connections.get(uri);
    if (!connection) this.connections.set(uri, (connection = new LibvirtConnection(uri)));
    return connection;
  }

  target(guest: GuestState, source: HostState | undefined, destination: HostState | undefined): LibvirtMigrationTarget {
    const domainUuid = guest.libvirtDomain?.uuid;
    if (!domainUuid)
      throw new LibvirtTargetError(`guest ${guest.id} is not mapped to a libvirt domain (no domain UUID recorded)`);
    const sourceUri = source?.host.libvirt?.uri;
    const destinationUri = destination?.host.libvirt?.uri;
    if (!sourceUri) throw new LibvirtTargetError(`host ${source?.host.id ?? '?'} has no libvirt URI (hosts[].libvirt)`);
    if (!destinationUri)
      throw new LibvirtTargetError(`host ${destination?.host.id ?? '?'} has no libvirt URI (hosts[].libvirt)`);
    return { domainUuid, source: this.connection(sourceUri), destination: this.connection(destinationUri) };
  }

  knobs(policy: ConvergencePolicy, hasVfio: boolean): LibvirtKnobs {
    return libvirtKnobsFor(policy, { hasVfio });
  }

  start(target: LibvirtMigrationTarget, knobs: LibvirtKnobs): LibvirtMigration {
    return new LibvirtMigration(target, { start: knobs }, this.options.pollMs);
  }

  /** Follows a job another (dead) worker started, to its end. */
  follow(target: LibvirtMigrationTarget): LibvirtMigration {
    return new LibvirtMigration(target, { follow: true }, this.options.pollMs);
  }

  /** Asks both hosts; throws (libvirt's words) when either cannot answer — then nothing is recorded. */
  async whereabouts(target: LibvirtMigrationTarget): Promise<JobWhereabouts> {
    const [where, job] = await Promise.all([
      whereIs(target.domainUuid, target.source, target.destination),
      target.source.jobStats(target.domainUuid).catch((error: Error) => {
        if (/Domain not found|failed to get domain/.test(error.message)) return undefined;
        throw error;
      }),
    ]);
    return { ...where, jobRunning: job !== undefined && jobActive(job) && job.operation === 'migration-out' };
  }

  /** libvirt's error text of the last finished job on the source (errmsg), if it kept one. */
  async lastJobError(target: LibvirtMigrationTarget): Promise<string | null> {
    const stats = await target.source.jobStats(target.domainUuid, { completed: true }).catch(() => undefined);
    return stats?.errorMessage ?? null;
  }
}
