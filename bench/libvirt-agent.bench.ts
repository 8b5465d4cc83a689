// Host agent and migration gate timings.
// 1. The hook's decision time: the compiled hook program run as libvirt runs it (a fresh Node process,
//    domain XML on stdin) against a running API, refused and allowed cases; baseline in the same run:
//    a bare `node -e ""` start and the gate route called in-process (what the hook adds on top).
// 2. Agent detection latency (needs the libvirt lab: root and libvirt; skipped otherwise): a fresh domain
//    started with virsh on a lab host, measured from libvirt's own event timestamp ("Started") to the
//    Ferry event the agent's report writes (GuestDefined's recordedAt); baseline: the agent's floor,
//    `virsh list` + `dumpxml` + the report PUT, timed directly.
// Run: npx tsx --conditions=ferry-source bench/libvirt-agent.bench.ts   (after `npm run build`)
//   RUNS=…, EVENTS=… to vary.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { domainEvents } from '@ferry/libvirt';
import { buildReport, readHostFacts } from '../apps/agent/src/report.js';
import { LibvirtView } from '../apps/agent/src/libvirt-view.js';
import { freePort, libvirtLabUnavailable, startLab, type Lab } from '../test/support/libvirt-lab.js';
import { CLEAN_X86_TREE, conflictingHostTree, domainXml } from '../test/support/host-trees.js';

process.env.FERRY_LOG ??= 'silent';
const RUNS = Number(process.env.RUNS ?? 30);
const EVENTS = Number(process.env.EVENTS ?? 8);
const HOOK = 'apps/cli/dist/hook/hook-main.js';
const AGENT = 'apps/agent/dist/main.js';
const ADMIN = 'fry_bench_admin_token_0000000000000000000001';

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
};
const row = (label: string, values: number[]) =>
  console.log(
    `${label.padEnd(52)} p50 ${quantile(values, 0.5).toFixed(1).padStart(7)} ms   p99 ${quantile(values, 0.99)
      .toFixed(1)
      .padStart(7)} ms   (n=${values.length})`,
  );

function timeProcess(args: string[], stdin: string): Promise<{ ms: number; code: number | null }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.on('error', () => undefined);
    child.on('exit', (code) => resolve({ ms: performance.now() - started, code }));
    child.stdin.end(stdin);
  });
}

if (!existsSync('apps/api/dist/main.js')) {
  console.log('skipped: the API is not built (npm run build)');
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'ferry-agent-bench-'));
// The compiled API in its own process, as deployed (SQLite, embedded mode).
const port = await freePort();
const server = spawn(process.execPath, ['apps/api/dist/main.js'], {
  stdio: 'ignore',
  env: {
    ...process.env,
    PORT: String(port),
    FERRY_SQLITE_PATH: join(dir, 'ferry.sqlite'),
    FERRY_ADMIN_TOKEN: ADMIN,
    FERRY_RATE_LIMIT: '100000',
    FERRY_AGENT_TIMEOUT_MS: '60000',
    FERRY_LOG: 'silent',
  },
});
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  const up = await fetch(`${url}/health`).then(
    (r) => r.ok,
    () => false,
  );
  if (up) break;
  if (i > 300) throw new Error('the API did not start');
  await new Promise((r) => setTimeout(r, 100));
}
const call = async (method: string, path: string, token: string, body?: unknown) => {
  const response = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
};
const agentToken = async (host: string) =>
  (await call('POST', '/v1/tokens', ADMIN, { name: `agent-${host}`, role: 'agent', hosts: [host] })).body
    .token as string;

try {
  await hookBench();
  await agentBench();
} finally {
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

async function hookBench(): Promise<void> {
  console.log('\nmigration hook decision time (Ferry up, SQLite, one host pair)');
  if (!existsSync(HOOK)) {
    console.log(`  skipped: ${HOOK} is not built (npm run build)`);
    return;
  }
  const uuid = '7d1f0c2a-3b4e-4f5a-8b6c-9d0e1f2a3b4c';
  const source = await agentToken('src');
  const dest = await agentToken('dst');
  const facts = readHostFacts(CLEAN_X86_TREE, { uri: 'qemu+tcp://127.0.0.1/system' });
  const bad = readHostFacts(conflictingHostTree(join(dir, 'dst-root')), { uri: 'qemu+tcp://127.0.0.1/system' });
  await call(
    'PUT',
    '/v1/hosts/src/agent-report',
    source,
    buildReport(facts.facts!, facts.cpuVendor, [{ uuid, xml: domainXml('bench-vm', uuid) }]).body,
  );
  await call('PUT', '/v1/hosts/dst/agent-report', dest, buildReport(bad.facts!, bad.cpuVendor, []).body);
  await call('POST', '/v1/guests/bench-vm/hotplug-reservations', ADMIN, { kind: 'vfio', deviceClass: 'network' });
  const tokenFile = join(dir, 'dst.token');
  writeFileSync(tokenFile, dest);
  const hookArgs = (guest: string) => [
    HOOK,
    '--api',
    url,
    '--token-file',
    tokenFile,
    '--host',
    'dst',
    '--failure-mode',
    'fail-closed',
    '--',
    guest,
    'migrate',
    'begin',
    '-',
  ];

  const bare: number[] = [];
  const route: number[] = [];
  const refused: number[] = [];
  const allowed: number[] = [];
  const other: number[] = [];
  const unknownUuid = '00000000-0000-4000-8000-00000000beef';
  for (let i = 0; i < RUNS; i++) {
    bare.push((await timeProcess(['-e', ''], '')).ms);
    const started = performance.now();
    await call('POST', '/v1/hosts/dst/migration-gate', dest, { domain: { uuid } });
    route.push(performance.now() - started);
    const r = await timeProcess(hookArgs('bench-vm'), domainXml('bench-vm', uuid));
    if (r.code !== 1) throw new Error(`the hook should refuse (exit 1), got ${r.code}`);
    refused.push(r.ms);
    const a = await timeProcess(hookArgs('stranger'), domainXml('stranger', unknownUuid));
    if (a.code !== 0) throw new Error(`the hook should allow an unknown domain (exit 0), got ${a.code}`);
    allowed.push(a.ms);
    other.push((await timeProcess([HOOK, '--', 'bench-vm', 'prepare', 'begin', '-'], domainXml('bench-vm', uuid))).ms);
  }
  row('baseline: node -e "" (process start)', bare);
  row('baseline: gate route in-process (plan + event)', route);
  row('hook, migrate begin, refused (blocking conflict)', refused);
  row('hook, migrate begin, allowed (domain unknown)', allowed);
  row('hook, other operation (passes without Ferry)', other);
  console.log('  target: < 200 ms with Ferry up (measured, not asserted)');
}

async function agentBench(): Promise<void> {
  console.log('\nagent detection latency: libvirt event → Ferry event');
  const unavailable = libvirtLabUnavailable();
  if (unavailable) {
    console.log(`  skipped: ${unavailable}`);
    return;
  }
  if (!existsSync(AGENT)) {
    console.log(`  skipped: ${AGENT} is not built (npm run build)`);
    return;
  }
  let lab: Lab | undefined;
  let agent: ChildProcess | undefined;
  const stop = new AbortController();
  try {
    lab = await startLab({ hosts: 1 });
    const host = lab.hosts[0]!;
    const token = await agentToken(host.name);
    const tokenFile = join(dir, 'agent.token');
    writeFileSync(tokenFile, token);
    const root = join(dir, 'agent-root');
    cpSync(CLEAN_X86_TREE, root, { recursive: true, verbatimSymlinks: true });
    agent = spawn(
      process.execPath,
      [
        AGENT,
        '--api',
        url,
        '--token-file',
        tokenFile,
        '--host',
        host.name,
        '--libvirt',
        host.uri,
        '--root',
        root,
        '--heartbeat',
        '5s',
        '--resync',
        '10m',
      ],
      { stdio: 'ignore', env: { ...process.env, FERRY_LOG: 'silent' } },
    );
    // libvirt's own timestamps of each domain's "Started" event, from a second event subscription.
    const startedAt = new Map<string, number>();
    void (async () => {
      for await (const item of domainEvents(host.uri, { signal: stop.signal }))
        if (item.kind === 'lifecycle' && item.event === 'Started')
          startedAt.set(item.domain, Date.parse(item.at.replace(/(\d\d)(\d\d)$/, '$1:$2').replace(' ', 'T')));
    })();
    await new Promise((r) => setTimeout(r, 3000)); // the agent's first full sync and both subscriptions

    const latencies: number[] = [];
    const floor: number[] = [];
    const view = new LibvirtView({ uri: host.uri });
    const facts = readHostFacts(root, { uri: host.uri });
    for (let i = 0; i < EVENTS; i++) {
      const guest = await lab.defineTestGuest(host, { name: `bench-${i}`, start: false });
      await host.virsh('start', guest.name);
      const id = guest.name.toLowerCase();
      let recordedAt: number | undefined;
      const deadline = Date.now() + 30_000;
      while (recordedAt === undefined && Date.now() < deadline) {
        const stream = await call('GET', `/v1/streams/guest-${id}`, ADMIN);
        const defined =
          stream.status === 200 ? stream.body.events.find((e: any) => e.type === 'GuestDefined') : undefined;
        if (defined) recordedAt = Date.parse(defined.recordedAt);
        else await new Promise((r) => setTimeout(r, 20));
      }
      const eventAt = startedAt.get(guest.name);
      if (recordedAt === undefined || eventAt === undefined)
        throw new Error(`no Ferry event or libvirt event for ${guest.name}`);
      latencies.push(recordedAt - eventAt);
      // The floor: what one agent pass has to do, timed directly.
      const t = performance.now();
      const uuids = await view.runningUuids();
      const body = buildReport(facts.facts!, facts.cpuVendor, await view.runningDomains(uuids)).body;
      await call('PUT', `/v1/hosts/${host.name}/agent-report`, token, body);
      floor.push(performance.now() - t);
      await host.virsh('destroy', guest.name);
      await host.virsh('undefine', guest.name);
    }
    row('baseline: one agent pass (list + dumpxml + report)', floor);
    row('domain Started (libvirt timestamp) → GuestDefined', latencies);
  } finally {
    stop.abort();
    if (agent?.pid) process.kill(agent.pid, 'SIGKILL');
    await lab?.teardown();
  }
}
