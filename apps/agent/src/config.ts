import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export interface AgentHostConfig {
  /** The host's Ferry id (what its agent token is bound to). */
  id: string;
  /** How to reach its libvirt, e.g. qemu+tcp://10.0.0.7/system or qemu+ssh://root@10.0.0.7/system. */
  libvirt: string;
  /** Where its /sys and /proc are: `/` when the agent runs on the host, else a mounted dump. */
  root: string;
  /** An SSH key file (ssh transports) or a libvirt auth file (others); never the secret itself. */
  credential?: string;
}

export interface AgentConfig {
  api: string;
  tokenFile: string;
  hosts: AgentHostConfig[];
  /** How often the agent checks libvirt and heartbeats (the API marks a host unreachable after its own timeout). */
  heartbeatMs: number;
  /** The slow backstop: a full report (facts re-read, every domain's XML) this often, even when nothing fired. */
  resyncMs: number;
}

export const USAGE = `usage: ferry-agent --api URL --token-file FILE --host ID --libvirt URI [--root DIR] [--credential PATH]
                   [--host ID --libvirt URI [--root DIR] …] [--heartbeat 5s] [--resync 5m]
   or: ferry-agent --config FILE.json   ({api, tokenFile, heartbeat, resync, hosts: [{id, libvirt, root, credential}]})
Environment: FERRY_URL, FERRY_TOKEN_FILE stand in for --api and --token-file.`;

export class ConfigError extends Error {}

/** "5s", "250ms", "2m" or a number of milliseconds. */
export function parseDuration(text: string, field: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new ConfigError(`${field}: "${text}" is not a duration like 5s, 250ms or 2m`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 'ms']!;
  const value = Math.round(Number(match[1]) * unit);
  if (value < 50) throw new ConfigError(`${field}: ${text} is too short (at least 50ms)`);
  return value;
}

export function parseAgentConfig(argv: string[], env: NodeJS.ProcessEnv): AgentConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      api: { type: 'string' },
      'token-file': { type: 'string' },
      host: { type: 'string', multiple: true },
      libvirt: { type: 'string', multiple: true },
      root: { type: 'string', multiple: true },
      credential: { type: 'string', multiple: true },
      heartbeat: { type: 'string' },
      resync: { type: 'string' },
    },
    strict: true,
  });
  const file = values.config ? readConfigFile(values.config) : {};
  const api = values.api ?? (file.api as string | undefined) ?? env.FERRY_URL;
  const tokenFile = values['token-file'] ?? (file.tokenFile as string | undefined) ?? env.FERRY_TOKEN_FILE;
  if (!api) throw new ConfigError('--api (or FERRY_URL) is required');
  if (!/^https?:\/\//.test(api)) throw new ConfigError(`--api: "${api}" must be an http(s) URL`);
  if (!tokenFile) throw new ConfigError('--token-file (or FERRY_TOKEN_FILE) is required');
  const hosts = values.host ? hostsFromFlags(values) : hostsFromFile(file.hosts);
  if (hosts.length === 0) throw new ConfigError('at least one --host ID --libvirt URI is required');
  const seen = new Set<string>();
  for (const host of hosts) {
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(host.id))
      throw new ConfigError(`--host: "${host.id}" is not a Ferry host id ([a-z0-9-])`);
    if (seen.has(host.id)) throw new ConfigError(`--host: "${host.id}" is given twice`);
    seen.add(host.id);
  }
  return {
    api: api.replace(/\/+$/, ''),
    tokenFile,
    hosts,
    heartbeatMs: parseDuration(values.heartbeat ?? fileDuration(file.heartbeat, '5s'), 'heartbeat'),
    resyncMs: parseDuration(values.resync ?? fileDuration(file.resync, '5m'), 'resync'),
  };
}

function fileDuration(value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  throw new ConfigError(`config: ${JSON.stringify(value)} is not a duration`);
}

function hostsFromFlags(values: {
  host?: string[];
  libvirt?: string[];
  root?: string[];
  credential?: string[];
}): AgentHostConfig[] {
  const ids = values.host ?? [];
  const uris = values.libvirt ?? [];
  if (uris.length !== ids.length) throw new ConfigError('give one --libvirt URI per --host, in the same order');
  if (values.root && values.root.length !== ids.length && values.root.length !== 1)
    throw new ConfigError('give one --root per --host (or a single one for all)');
  return ids.map((id, i) => ({
    id,
    libvirt: uris[i]!,
    root: values.root?.[values.root.length === 1 ? 0 : i] ?? '/',
    ...(values.credential?.[i] ? { credential: values.credential[i] } : {}),
  }));
}

function hostsFromFile(hosts: unknown): AgentHostConfig[] {
  if (hosts === undefined) return [];
  if (!Array.isArray(hosts)) throw new ConfigError('config: hosts must be a list');
  return hosts.map((h, i) => {
    const { id, libvirt, root, credential } = (h ?? {}) as Record<string, unknown>;
    if (typeof id !== 'string' || typeof libvirt !== 'string')
      throw new ConfigError(`config: hosts[${i}] needs id and libvirt`);
    return {
      id,
      libvirt,
      root: typeof root === 'string' ? root : '/',
      ...(typeof credential === 'string' ? { credential } : {}),
    };
  });
}

function readConfigFile(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`--config ${path}: ${(error as Error).message}`);
  }
}
