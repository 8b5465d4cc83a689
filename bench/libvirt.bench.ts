// Ferry-driven libvirt migration vs the same migration by `virsh migrate` directly, on the two-host
// lab (real libvirt daemons, the TCG test guest). The difference is Ferry's overhead: the API,
// planning, the queue, job-stats polling, placement checks and the events it records.
// Run: npx tsx --conditions=ferry-source bench/libvirt.bench.ts   (REPS=… to vary; needs root + libvirt)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importHostFacts, importLibvirtDomain } from '@ferry/importers';
import { CLEAN_X86_TREE } from '../test/support/host-trees.js';
import { freePort, libvirtLabUnavailable, startLab } from '../test/support/libvirt-lab.js';

const REPS = Number(process.env.REPS ?? 3);
const unavailable = libvirtLabUnavailable();
if (unavailable) {
  console.log(`libvirt bench skipped: ${unavailable}`);
  process.exit(0);
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The API as deployed in embedded mode (SQLite, in-process queue and workers), as its own process. */
async function startApi() {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-bench-libvirt-'));
  const port = await freePort();
  const token = `fry_bench_${randomBytes(16).toString('hex')}`;
  const child = spawn(process.execPath, ['--conditions=ferry-source', '--import', 'tsx', 'apps/api/src/main.ts'], {
    env: {
      ...process.env,
      TSX_TSCONFIG_PATH: 'tsconfig.base.json',
      PORT: String(port),
      FERRY_DATA_DIR: dataDir,
      FERRY_ADMIN_TOKEN: token,
      FERRY_LOG: 'silent',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => String(chunk).includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`API exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    request: async (method: string, path: string, options: { body?: unknown } = {}) => {
      const response = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      return { status: response.status, body: (await response.json()) as any };
    },
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const lab = await startLab({ hosts: 2 });
const api = await startApi();
try {
  const [a, b] = lab.hosts as [(typeof lab.hosts)[0], (typeof lab.hosts)[0]];
  // The same guest for both ways of migrating, idle enough to converge every time.
  const guest = await lab.defineTestGuest(a, { name: 'bench-vm', workingSetMiB: 16, pagesPerSecond: 200 });
  const facts = importHostFacts({ root: CLEAN_X86_TREE }).value;
  const domain = importLibvirtDomain(await a.virsh('dumpxml', guest.uuid)).value!;
  const applied = await api.request('POST', '/v1/fleet', {
    body: {
      hosts: [a, b].map((h) => ({ ...facts, id: h.name, pool: 'bench', libvirt: { uri: h.uri } })),
      guests: [{ ...domain, id: 'bench-vm', host: a.name, libvirt: { uuid: guest.uuid } }],
    },
  });
  if (applied.status !== 200) throw new Error(`fleet: ${JSON.stringify(applied.body)}`);
  await api.request('PUT', '/v1/pools/bench/migration-policy', { body: { policy: {}, backend: 'libvirt' } });

  const hosts = [a, b];
  let on = 0; // index of the host running the guest
  const direct: number[] = [];
  const ferry: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    // virsh: there and back counts as two samples, like Ferry's below.
    for (let leg = 0; leg < 2; leg++) {
      const started = performance.now();
      await hosts[on]!.virsh(
        'migrate',
        '--live',
        '--p2p',
        '--persistent',
        '--undefinesource',
        guest.uuid,
        hosts[1 - on]!.uri,
      );
      direct.push(performance.now() - started);
      on = 1 - on;
    }
  }
  // Ferry's record still says host A; the guest is back on A after an even number of legs.
  for (let rep = 0; rep < REPS; rep++) {
    for (let leg = 0; leg < 2; leg++) {
      const to = hosts[1 - on]!.name;
      const started = performance.now();
      const submitted = await api.request('POST', '/v1/migrations', {
        body: { guestId: 'bench-vm', destinationHostId: to },
      });
      if (submitted.status !== 202) throw new Error(`migration: ${JSON.stringify(submitted.body)}`);
      for (;;) {
        const m = (await api.request('GET', `/v1/migrations/${submitted.body.id}`)).body;
        if (m.state === 'completed') break;
        if (['failed', 'cancelled', 'rejected'].includes(m.state))
          throw new Error(`migration ${m.state}: ${m.outcome}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      ferry.push(performance.now() - started);
      on = 1 - on;
    }
  }
  console.log(`libvirt live migration of a 256 MiB TCG guest between two lab hosts, ${direct.length} migrations each:`);
  console.log(
    `  virsh migrate --live --p2p (baseline): median ${seconds(median(direct))}  [${direct.map(seconds).join(', ')}]`,
  );
  console.log(
    `  ferry (API → queue → libvirt backend): median ${seconds(median(ferry))}  [${ferry.map(seconds).join(', ')}]`,
  );
  console.log(`  overhead: median ${seconds(median(ferry) - median(direct))}`);
} finally {
  await api.close();
  await lab.teardown();
}
