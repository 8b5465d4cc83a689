// Load test: 500 requests/s of mixed reads and plans against the API in its own process (SQLite,
// embedded default), for 20 s. Run: npm run bench -- load
import { execSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error autocannon ships no types
import autocannon from 'autocannon';

const PORT = 18_477;
const URL = `http://127.0.0.1:${PORT}`;
const TOKEN = 'fry_load_bench_admin_token_0123456789abcdef';
const DURATION_S = Number(process.env.LOAD_SECONDS ?? 20);
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

function fleet() {
  const host = (i: number) => ({
    id: `h-${i}`,
    pool: `p-${i % 4}`,
    arch: 'x86_64',
    cpuVendor: i % 3 ? 'intel' : 'amd',
    memory: '1TiB',
    kernel: '6.8.0',
    iommu: {
      model: i % 3 ? 'intel-vtd' : 'amd-vi',
      addressWidthBits: 48,
      interruptRemapping: true,
      vfioBackends: ['type1v2'],
    },
    groups: [
      {
        id: 1,
        reservedRegions: [
          { start: '0xfee00000', end: '0xfeefffff', type: 'msi' },
          ...(i % 3 ? [] : [{ start: '0xfd00000000', end: '0xffffffffff', type: 'reserved' }]),
        ],
        devices: [{ address: '0000:01:00.0', class: 'network', driver: 'vfio-pci' }],
      },
    ],
  });
  const guest = (i: number) => ({
    id: `g-${i}`,
    host: `h-${i % 50}`,
    machine: 'pc-q35-8.2',
    cpuVendor: (i % 50) % 3 ? 'intel' : 'amd',
    memory: { ram: `${4 + (i % 8) * 4}GiB`, max: '64GiB', slots: 2 },
    devices: [{ id: 'net0', kind: 'virtio-net', iommuPlatform: true }],
    hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }],
  });
  return {
    hosts: Array.from({ length: 50 }, (_, i) => host(i)),
    guests: Array.from({ length: 1000 }, (_, i) => guest(i)),
  };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-load-'));
  // Measure the server as it runs in production: compiled, not transpiled on the fly.
  execSync('npx tsc -b', { stdio: 'inherit' });
  const server = spawn(
    process.execPath,
    [...(process.env.LOAD_PRELOAD ? ['--import', process.env.LOAD_PRELOAD] : []), 'apps/api/dist/main.js'],
    {
      env: {
        ...process.env,
        PORT: String(PORT),
        FERRY_SQLITE_PATH: join(dir, 'f.sqlite'),
        FERRY_ADMIN_TOKEN: TOKEN,
        FERRY_LOG: 'silent',
        FERRY_RATE_LIMIT: '100000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${URL}/health`)).ok) break;
      } catch {
        // not up yet
      }
      if (i > 200) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const applied = await fetch(`${URL}/v1/fleet`, { method: 'POST', headers, body: JSON.stringify(fleet()) });
    if (!applied.ok) throw new Error(`fleet apply failed: ${applied.status} ${await applied.text()}`);
    await fetch(`${URL}/v1/conflicts?limit=1`, { headers }); // build the matrix before measuring
    const reads = [
      { method: 'GET', path: '/v1/hosts?limit=50' },
      { method: 'GET', path: '/v1/guests/g-17' },
      { method: 'GET', path: '/v1/conflicts?severity=error&limit=50' },
      { method: 'GET', path: '/v1/guests/g-3/destinations' },
      { method: 'GET', path: '/v1/events?after=0&limit=20' },
    ];
    const plans = Array.from({ length: 20 }, (_, i) => ({
      method: 'POST',
      path: '/v1/plans/migration',
      body: JSON.stringify({ guestId: `g-${i * 7}`, destinationHostId: `h-${(i * 7 + 13) % 50}` }),
    }));
    const run = (requests: object[], rate: number, duration = DURATION_S) =>
      autocannon({ url: URL, connections: 20, overallRate: rate, duration, headers, requests });
    // Warm up at the same mix first (JIT, first evaluations); only the second run is reported.
    await Promise.all([run(reads, 350, 5), run(plans, 150, 5)]);
    const [readResult, planResult] = await Promise.all([run(reads, 350), run(plans, 150)]);
    const row = (name: string, r: any) =>
      `${name.padEnd(8)} ${String(Math.round(r.requests.average)).padStart(6)} req/s  p50 ${String(r.latency.p50).padStart(4)} ms  p99 ${String(r.latency.p99).padStart(4)} ms  max ${String(r.latency.max).padStart(5)} ms  non-2xx ${r.non2xx}  errors ${r.errors}`;
    console.log(
      `load: ${DURATION_S} s after a 5 s warm-up, 1,000 guests × 50 hosts, compiled server in its own process (SQLite), load generator on the same 2 cores`,
    );
    console.log(row('reads', readResult));
    console.log(row('plans', planResult));
    console.log(
      `total    ${Math.round(readResult.requests.average + planResult.requests.average)} req/s (target 500; plans p99 target < 50 ms)`,
    );
  } finally {
    if (process.env.LOAD_PRELOAD) {
      server.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, 1500));
    }
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
