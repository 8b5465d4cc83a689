// Domains and host facts in machine-readable forms: `list --uuid --name` (one "<uuid> <name>" a
// line), `domstats --state` (key=value, virDomainState numbers), `capabilities` (XML).
import { XMLParser } from 'fast-xml-parser';

/** virDomainState */
export type DomainStateName =
  'nostate' | 'running' | 'blocked' | 'paused' | 'shutdown' | 'shutoff' | 'crashed' | 'pmsuspended';
const STATES: DomainStateName[] = [
  'nostate',
  'running',
  'blocked',
  'paused',
  'shutdown',
  'shutoff',
  'crashed',
  'pmsuspended',
];

export interface HostFacts {
  uri: string;
  /** The host UUID libvirt reports (<host><uuid>): what tells two hosts apart. */
  hostUuid: string;
  arch: string;
}

export interface DomainSummary {
  uuid: string;
  name: string;
  state: DomainStateName;
}

export function parseCapabilities(uri: string, xml: string): HostFacts {
  const doc = new XMLParser({ ignoreAttributes: true }).parse(xml) as {
    capabilities?: { host?: { uuid?: string; cpu?: { arch?: string } } };
  };
  const host = doc.capabilities?.host;
  if (!host?.uuid || !host.cpu?.arch) throw new Error(`capabilities of ${uri} name no host uuid or arch`);
  return { uri, hostUuid: String(host.uuid), arch: String(host.cpu.arch) };
}

/** `virsh list --all --uuid --name`: "<uuid> <name>" per line (a name may contain spaces). */
export function parseUuidNameList(text: string): Array<{ uuid: string; name: string }> {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const space = line.indexOf(' ');
      return { uuid: line.slice(0, space), name: line.slice(space + 1) };
    });
}

/** `virsh domstats --state`: `Domain: '<name>'` then `  state.state=<n>`; returns name → state. */
export function parseDomainStates(text: string): Map<string, DomainStateName> {
  const states = new Map<string, DomainStateName>();
  let current: string | undefined;
  for (const line of text.split('\n')) {
    const domain = /^Domain: '(.*)'$/.exec(line);
    if (domain) current = domain[1];
    const state = /^\s+state\.state=(\d+)$/.exec(line);
    if (state && current !== undefined) states.set(current, STATES[Number(state[1])] ?? 'nostate');
  }
  return states;
}
