// Every call to libvirt goes through the official client, `virsh -c <uri>`, with machine-readable
// forms only (XML, key=value, the raw typed parameters). Its stderr is libvirt's (and QEMU's) own
// message, kept verbatim.
import { execFile, spawn, type ChildProcess } from 'node:child_process';

export const VIRSH = process.env.FERRY_VIRSH ?? 'virsh';

/** libvirt said no: `message` is virsh's stderr without the `error: ` prefixes, verbatim otherwise. */
export class LibvirtError extends Error {
  constructor(
    message: string,
    readonly command: string[],
  ) {
    super(message);
    this.name = 'LibvirtError';
  }
}

/** virsh prints "error: failed to …\nerror: <libvirt's message>"; keep libvirt's words, drop the prefix. */
export function libvirtMessage(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => line.replace(/^error: /, '').trimEnd())
    .filter((line) => line.length > 0)
    .join('\n');
}

export interface VirshOptions {
  timeoutMs?: number;
  /** Text for virsh's stdin (XML for `define /dev/stdin`). */
  input?: string;
}

/** Keepalive: a dead connection is noticed within ~15 s instead of hanging on TCP. */
const KEEPALIVE = ['-k', '5', '-K', '3'];

export function virshArgs(uri: string, args: string[]): string[] {
  return ['-q', ...KEEPALIVE, '-c', uri, ...args];
}

export function virsh(uri: string, args: string[], options: VirshOptions = {}): Promise<string> {
  const argv = virshArgs(uri, args);
  return new Promise((resolve, reject) => {
    const child = execFile(
      VIRSH,
      argv,
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const said = libvirtMessage(stderr);
        const why = said || (error.killed ? `virsh timed out after ${options.timeoutMs ?? 60_000} ms` : error.message);
        reject(new LibvirtError(why, [VIRSH, ...argv]));
      },
    );
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

/** A long-running virsh (migrate, event --loop); detached so it outlives a worker that dies. */
export function spawnVirsh(uri: string, args: string[], options: { detached?: boolean } = {}): ChildProcess {
  return spawn(VIRSH, virshArgs(uri, args), {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
}
