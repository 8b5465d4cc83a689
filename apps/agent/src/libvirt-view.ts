import { LibvirtConnection, LibvirtError } from '@ferry/libvirt';
import type { RunningDomain } from './report.js';

// The agent's view of one host's libvirt through @ferry/libvirt (virsh's machine-readable forms).

export interface LibvirtTarget {
  uri: string;
  /** ssh transports: the key file, passed as libvirt's keyfile= URI parameter. */
  credential?: string;
}

/** The URI the agent connects with: an ssh key file becomes libvirt's own keyfile= parameter. */
export function connectionUri(target: LibvirtTarget): string {
  if (!target.credential || !/^\w+\+(ssh|libssh|libssh2):/.test(target.uri)) return target.uri;
  const separator = target.uri.includes('?') ? '&' : '?';
  return `${target.uri}${separator}keyfile=${encodeURIComponent(target.credential)}`;
}

export class LibvirtView {
  private readonly connection: LibvirtConnection;

  constructor(readonly target: LibvirtTarget) {
    this.connection = new LibvirtConnection(connectionUri(target), { timeoutMs: 15_000 });
  }

  /**
   * UUIDs of the domains running here. A paused domain (an incoming migration not yet switched over,
   * the source of a post-copy migration) is not where its guest runs, so it does not count.
   */
  async runningUuids(): Promise<string[]> {
    return (await this.connection.listDomains())
      .filter((d) => d.state === 'running')
      .map((d) => d.uuid.toLowerCase())
      .sort();
  }

  /** Each running domain's XML; a domain that vanished between the list and the dump is skipped. */
  async runningDomains(uuids: readonly string[]): Promise<RunningDomain[]> {
    const domains: RunningDomain[] = [];
    for (const uuid of uuids) {
      try {
        domains.push({ uuid, xml: await this.connection.domainXml(uuid) });
      } catch (error) {
        if (!(error instanceof LibvirtError && /Domain not found|failed to get domain/.test(error.message)))
          throw error;
      }
    }
    return domains;
  }
}
