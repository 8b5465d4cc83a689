import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { RunningDomain } from './report.js';

// The agent's view of one host's libvirt, through the official `virsh` client: `list --uuid` and
// `dumpxml` are machine-readable; the event stream is only used as a doorbell ("something happened,
// look again"), never parsed for facts.

export interface LibvirtTarget {
  uri: string;
  /** ssh transports: the key file (libvirt's keyfile= URI parameter); others: a libvirt auth file. */
  credential?: string;
}

const COMMAND_TIMEOUT_MS = 15_000;

function connection(target: LibvirtTarget): { uri: string; env: NodeJS.ProcessEnv } {
  if (!target.credential) return { uri: target.uri, env: process.env };
  if (/^\w+\+(ssh|libssh|libssh2):/.test(target.uri)) {
    const separator = target.uri.includes('?') ? '&' : '?';
    return { uri: `${target.uri}${separator}keyfile=${encodeURIComponent(target.credential)}`, env: process.env };
  }
  return { uri: target.uri, env: { ...process.env, LIBVIRT_AUTH_FILE: target.credential } };
}

export function virsh(target: LibvirtTarget, ...args: string[]): Promise<string> {
  const { uri, env } = connection(target);
  return new Promise((resolve, reject) => {
    execFile(
      'virsh',
      ['-q', '-c', uri, ...args],
      { env, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`virsh ${args[0]}: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      },
    );
  });
}

/** UUIDs of the domains running on the host (paused ones, such as an incoming migration, are not). */
export async function runningUuids(target: LibvirtTarget): Promise<string[]> {
  const out = await virsh(target, 'list', '--state-running', '--uuid');
  return out
    .split('\n')
    .map((line) => line.trim().toLowerCase())
    .filter(Boolean)
    .sort();
}

/** Each running domain's XML; a domain that vanished between list and dumpxml is skipped. */
export async function runningDomains(target: LibvirtTarget, uuids: readonly string[]): Promise<RunningDomain[]> {
  const domains: RunningDomain[] = [];
  for (const uuid of uuids) {
    try {
      domains.push({ uuid, xml: await virsh(target, 'dumpxml', uuid) });
    } catch (error) {
      if (!/failed to get domain|Domain not found/i.test((error as Error).message)) throw error;
    }
  }
  return domains;
}

/**
 * Calls `onEvent` for each domain event libvirt sends, until the connection drops; then `onClose`
 * with virsh's last words. The caller reconnects.
 */
export function watchEvents(
  target: LibvirtTarget,
  onEvent: () => void,
  onClose: (reason: string) => void,
): ChildProcess {
  const { uri, env } = connection(target);
  const child = spawn('virsh', ['-q', '-c', uri, 'event', '--all', '--loop'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('event ')) onEvent();
  });
  child.on('error', (error) => onClose(error.message));
  child.on('exit', (code, signal) => onClose(stderr.trim() || `virsh event exited (${signal ?? code})`));
  return child;
}
