// The libvirt hook program against a running API, exactly as libvirtd runs it (a process, domain XML
// on stdin, libvirt's arguments after `--`), and `ferry hook install`. The lab suite
// (libvirt-agent.slow.spec.ts) shows libvirtd itself running it.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, readHostFacts } from '../apps/agent/src/report.js';
import { run } from '../apps/cli/src/run.js';
import { appBackend, type TestBackend } from './support/backends.js';
import { startApp, type RunningApp } from './support/app.js';
import { CLEAN_X86_TREE, conflictingHostTree, domainXml } from './support/host-trees.js';

const UUID = '5b0a3f1c-2e4d-4c6b-8f7a-9d1e2c3b4a50';
const TSX = join('node_modules', '.bin', 'tsx');
const HOOK = 'apps/cli/src/hook/hook-main.ts';

/** Runs the hook program as libvirt would; resolves with its exit code, stderr and wall time. */
function runHook(settings: string[], libvirtArgs: string[], stdin: string) {
  return new Promise<{ code: number | null; stderr: string; ms: number }>((resolve) => {
    const started = performance.now();
    const child = spawn(TSX, [HOOK, ...settings, '--', ...libvirtArgs], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stderr, ms: performance.now() - started }));
    child.stdin.on('error', () => undefined); // a hook that passes at once closes stdin early, as libvirt allows
    child.stdin.end(stdin);
  });
}

describe('the libvirt migration hook', () => {
  let backend: TestBackend;
  let api: RunningApp;
  let dir: string;
  let tokenFile: string;
  let silentServer: Server;
  let silentUrl: string;

  const settings = (overrides: Record<string, string> = {}) =>
    Object.entries({
      '--api': api.url,
      '--token-file': tokenFile,
      '--host': 'dest',
      '--failure-mode': 'fail-closed',
      '--timeout-ms': '2000',
      ...overrides,
    }).flat();

  beforeAll(async () => {
    backend = appBackend();
    api = await startApp(backend);
    dir = mkdtempSync(join(tmpdir(), 'ferry-hook-'));
    const issue = async (host: string) =>
      (await api.request('POST', '/v1/tokens', { body: { name: `agent-${host}`, role: 'agent', hosts: [host] } })).body
        .token as string;
    const source = await issue('source');
    const dest = await issue('dest');
    tokenFile = join(dir, 'dest.token');
    writeFileSync(tokenFile, `${dest}\n`, { mode: 0o600 });
    const facts = (root: string) => readHostFacts(root, { uri: 'qemu+tcp://127.0.0.1/system' });
    const src = facts(CLEAN_X86_TREE);
    const report = (root: string, domains: { uuid: string; xml: string }[]) =>
      buildReport(facts(root).facts!, src.cpuVendor, domains).body;
    await api.request('PUT', '/v1/hosts/source/agent-report', {
      token: source,
      body: report(CLEAN_X86_TREE, [{ uuid: UUID, xml: domainXml('db-1', UUID) }]),
    });
    await api.request('PUT', '/v1/hosts/dest/agent-report', {
      token: dest,
      body: report(conflictingHostTree(join(dir, 'dest-root')), []),
    });
    await api.request('POST', '/v1/guests/db-1/hotplug-reservations', {
      body: { kind: 'vfio', deviceClass: 'network' },
    });
    // A server that accepts connections and never answers: Ferry hung, not down.
    silentServer = createServer(() => undefined);
    await new Promise<void>((r) => silentServer.listen(0, '127.0.0.1', r));
    silentUrl = `http://127.0.0.1:${(silentServer.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    silentServer.close();
    await api.close();
    await backend.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses `migrate begin` on the destination with every blocking conflict on stderr, and records the attempt', async () => {
    const result = await runHook(settings(), ['db-1', 'migrate', 'begin', '-'], domainXml('db-1', UUID));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Ferry refuses to migrate guest db-1');
    expect(result.stderr).toMatch(/\n {2}[A-Z_]+ \((error|corruption)\): .*\n {4}evidence: \{.*\}\n {4}remedy: /);
    const gate = await api.request('GET', '/v1/streams/gate-dest');
    expect(gate.body.events.at(-1).data).toMatchObject({ decision: 'refused', guestId: 'db-1' });
    const tokens = (await api.request('GET', '/v1/tokens')).body.items as { id: string; name: string }[];
    expect(gate.body.events.at(-1).metadata.actor).toBe(`token:${tokens.find((t) => t.name === 'agent-dest')!.id}`);
  });

  it('lets every other operation through at once, without asking Ferry', async () => {
    const before = (await api.request('GET', '/v1/events?after=0&limit=1')).body.lastPosition;
    for (const op of [
      ['prepare', 'begin'],
      ['start', 'begin'],
      ['started', 'begin'],
      ['release', 'end'],
      ['migrate', 'end'],
    ]) {
      const result = await runHook(
        settings({ '--api': 'http://127.0.0.1:9' }),
        ['db-1', ...op, '-'],
        domainXml('db-1', UUID),
      );
      expect(result, op.join(' ')).toMatchObject({ code: 0, stderr: '' });
    }
    expect((await api.request('GET', '/v1/events?after=0&limit=1')).body.lastPosition).toBe(before);
  });

  it('follows fail-closed and fail-open when Ferry is down, saying so', async () => {
    const down = settings({ '--api': 'http://127.0.0.1:9' });
    const closed = await runHook(down, ['db-1', 'migrate', 'begin', '-'], domainXml('db-1', UUID));
    expect(closed.code).toBe(1);
    expect(closed.stderr).toMatch(
      /cannot reach Ferry at http:\/\/127\.0\.0\.1:9: .*; fail-closed: refusing the migration of db-1/,
    );
    const open = await runHook(
      settings({ '--api': 'http://127.0.0.1:9', '--failure-mode': 'fail-open' }),
      ['db-1', 'migrate', 'begin', '-'],
      domainXml('db-1', UUID),
    );
    expect(open.code).toBe(0);
    expect(open.stderr).toContain('fail-open: allowing the migration of db-1 unchecked');
  });

  it('never hangs: a Ferry that accepts and never answers ends in the failure mode after the timeout', async () => {
    const result = await runHook(
      settings({ '--api': silentUrl, '--timeout-ms': '700' }),
      ['db-1', 'migrate', 'begin', '-'],
      domainXml('db-1', UUID),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no answer within 700 ms; fail-closed');
    expect(result.ms).toBeLessThan(700 + 5000); // tsx start-up included
  });

  it('treats an unreadable token file or a refused token as Ferry being unable to decide', async () => {
    const missing = await runHook(
      settings({ '--token-file': join(dir, 'nope') }),
      ['db-1', 'migrate', 'begin', '-'],
      domainXml('db-1', UUID),
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read the token file');
    const wrong = join(dir, 'wrong.token');
    writeFileSync(wrong, 'fry_not_a_token');
    const refused = await runHook(
      settings({ '--token-file': wrong, '--failure-mode': 'fail-open' }),
      ['db-1', 'migrate', 'begin', '-'],
      domainXml('db-1', UUID),
    );
    expect(refused.code).toBe(0);
    expect(refused.stderr).toMatch(/Ferry answered 401.*fail-open/);
  });
});

describe('ferry hook install', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-hook-install-'));
    writeFileSync(join(dir, 'token'), 'fry_x');
    // The compiled program the script points at; a stand-in file is enough to install.
    writeFileSync(join(dir, 'hook-main.js'), '');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function install(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(['hook', 'install', ...args], {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t) },
      stdin: (async function* () {})(),
      env: {},
      tty: false,
    });
    return { code, out: out.join(''), err: err.join('') };
  }
  const common = () => [
    '--host',
    'host-b',
    '--token-file',
    join(dir, 'token'),
    '--api',
    'http://ferry.example:8080',
    '--hooks-dir',
    join(dir, 'hooks'),
    '--hook-program',
    join(dir, 'hook-main.js'),
  ];

  it('writes an executable qemu hook with the settings, idempotently', async () => {
    const first = await install(...common(), '--failure-mode', 'fail-closed');
    expect(first.code).toBe(0);
    const path = join(dir, 'hooks', 'qemu');
    const script = readFileSync(path, 'utf8');
    expect(script).toContain("--host 'host-b'");
    expect(script).toContain('--failure-mode fail-closed');
    expect(script).toContain(`--token-file '${join(dir, 'token')}'`);
    expect(script).not.toContain('fry_x'); // the token stays in its file
    expect(statSync(path).mode & 0o777).toBe(0o755);
    const again = await install(...common(), '--failure-mode', 'fail-closed');
    expect(again.out).toContain('nothing changed');
    const changed = await install(...common(), '--failure-mode', 'fail-open');
    expect(changed.out).toContain('updated');
    expect(readFileSync(path, 'utf8')).toContain('--failure-mode fail-open');
  });

  it('leaves a qemu hook that is not Ferry’s alone unless forced, and rejects a bad failure mode', async () => {
    const hooks = join(dir, 'other-hooks');
    await install(
      ...common().slice(0, -4),
      '--hooks-dir',
      hooks,
      '--hook-program',
      join(dir, 'hook-main.js'),
      '--failure-mode',
      'fail-open',
    );
    writeFileSync(join(hooks, 'qemu'), '#!/bin/sh\necho mine\n');
    chmodSync(join(hooks, 'qemu'), 0o755);
    const refused = await install(
      ...common().slice(0, -4),
      '--hooks-dir',
      hooks,
      '--hook-program',
      join(dir, 'hook-main.js'),
      '--failure-mode',
      'fail-open',
    );
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('is not Ferry');
    expect(readFileSync(join(hooks, 'qemu'), 'utf8')).toContain('echo mine');
    const bad = await install(...common(), '--failure-mode', 'maybe');
    expect(bad.code).toBe(64);
    expect(bad.err).toContain('fail-open or fail-closed');
    expect(existsSync(join(dir, 'hooks', 'qemu'))).toBe(true);
  });
});
