// ferry hook install: puts Ferry's migration gate into libvirt on this host (runs locally, no API call).
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, need, str, UsageError, type Command } from '../cli.js';

const MARKER = '# ferry-migration-gate';

/** The compiled hook program beside this command (dist/hook/hook-main.js), also when run from source. */
export function defaultHookProgram(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here.replace(/[/\\]src[/\\]commands$/, '/dist/commands'), '../hook/hook-main.js');
}

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

export function hookScript(options: {
  node: string;
  program: string;
  api: string;
  tokenFile: string;
  hostId: string;
  failureMode: string;
  timeoutMs: number;
}): string {
  return `#!/bin/sh
${MARKER} — installed by \`ferry hook install\`; run it again to change these settings.
# libvirt runs this for every QEMU domain operation; only "migrate begin" (on the destination) asks Ferry.
exec ${quote(options.node)} ${quote(options.program)} --api ${quote(options.api)} --token-file ${quote(options.tokenFile)} --host ${quote(options.hostId)} --failure-mode ${options.failureMode} --timeout-ms ${options.timeoutMs} -- "$@"
`;
}

const hookInstall: Command = {
  name: 'hook install',
  usage:
    '--host ID --token-file FILE --failure-mode fail-open|fail-closed [--api URL] [--hooks-dir DIR] [--timeout-ms N] [--force]',
  summary: "install Ferry's migration gate as libvirt's qemu hook on this host",
  help: `Writes <hooks-dir>/qemu (default /etc/libvirt/hooks/qemu). On "migrate begin" libvirt runs it on the
destination with the domain XML; it asks Ferry (--api, default $FERRY_URL) for a plan to --host and refuses the
migration when the plan is blocked, printing every blocking conflict. --token-file holds an agent token bound to
--host. --failure-mode decides what happens when Ferry cannot answer within --timeout-ms (default 3000):
fail-open lets the migration through unchecked, fail-closed refuses it; either way the hook says so.
Idempotent: the same settings leave the file as it is. A qemu hook that is not Ferry's is left alone unless --force.
libvirtd reads hooks when it starts: restart it afterwards.`,
  options: {
    host: { type: 'string' },
    'token-file': { type: 'string' },
    'failure-mode': { type: 'string' },
    api: { type: 'string' },
    'hooks-dir': { type: 'string' },
    'timeout-ms': { type: 'string' },
    'hook-program': { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(ctx, values) {
    const hostId = need(values, 'host', 'ID');
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(hostId))
      throw new UsageError(`--host: "${hostId}" is not a host id`);
    const tokenFile = resolve(need(values, 'token-file', 'FILE'));
    const failureMode = need(values, 'failure-mode', 'fail-open|fail-closed');
    if (failureMode !== 'fail-open' && failureMode !== 'fail-closed')
      throw new UsageError(`--failure-mode must be fail-open or fail-closed, not "${failureMode}"`);
    const api = (str(values, 'api') ?? ctx.io.env.FERRY_URL ?? '').replace(/\/+$/, '');
    if (!/^https?:\/\/\S+$/.test(api))
      throw new UsageError('--api URL (or FERRY_URL) is required: where Ferry listens');
    const timeoutText = str(values, 'timeout-ms') ?? '3000';
    if (!/^\d+$/.test(timeoutText) || Number(timeoutText) < 100 || Number(timeoutText) > 60_000)
      throw new UsageError('--timeout-ms must be a whole number of milliseconds between 100 and 60000');
    const program = resolve(str(values, 'hook-program') ?? defaultHookProgram());
    if (!existsSync(program))
      throw new UsageError(`the hook program ${program} does not exist (build first: npm run build)`);
    if (!existsSync(tokenFile)) ctx.err(`warning: ${tokenFile} does not exist yet; the hook will fail until it does`);

    const hooksDir = str(values, 'hooks-dir') ?? '/etc/libvirt/hooks';
    const path = join(hooksDir, 'qemu');
    const script = hookScript({
      node: process.execPath,
      program,
      api,
      tokenFile,
      hostId,
      failureMode,
      timeoutMs: Number(timeoutText),
    });
    const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (current === script) {
      ctx.out(`${path} is already Ferry's gate with these settings; nothing changed`);
      return EXIT.ok;
    }
    if (current !== undefined && !current.includes(MARKER) && values.force !== true) {
      ctx.err(`${path} exists and is not Ferry's hook; move it aside (or chain it) or pass --force to replace it`);
      return EXIT.failed;
    }
    mkdirSync(hooksDir, { recursive: true });
    // Written beside and renamed over: libvirt never runs a half-written hook.
    const temporary = `${path}.ferry-${process.pid}`;
    writeFileSync(temporary, script, { mode: 0o755 });
    chmodSync(temporary, 0o755);
    renameSync(temporary, path);
    ctx.out(`${current === undefined ? 'installed' : 'updated'} ${path} (host ${hostId}, ${failureMode}, ${api})`);
    ctx.out('libvirtd reads hooks at start: restart it for the gate to take effect');
    return EXIT.ok;
  },
};

export const hookCommands: Command[] = [hookInstall];
