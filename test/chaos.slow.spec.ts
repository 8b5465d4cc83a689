// Faults against the real services: `npm run chaos`. Not part of `npm test`, because it restarts
// the machine's PostgreSQL and Redis, which other suites running at the same time would feel.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { isTerminalState } from '@ferry/orchestration';
import { postgresBackend } from './support/backends.js';
import { startApp, type RunningApp } from './support/app.js';
import { restartPostgres, restartRedis } from './support/services.js';
import { deleteRedisKeys } from './support/redis.js';
import { startWorker, type WorkerProcess } from './support/worker-process.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const totals = { runs: 0, faults: 0, eventsChecked: 0, anomalies: 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const armHost = (id: string, pool = 'chaos') => ({
  id,
  pool,
  arch: 'aarch64',
  cpuVendor: 'arm',
  memory: '1TiB',
  kernel: '6.8.0',
  iommu: { model: 'arm-smmuv3', addressWidthBits: 48, interruptRemapping: true, vfioBackends: ['type1v2'] },
  groups: [{ id: 12, reservedRegions: [{ start: '0x08000000', end: '0x080fffff', type: 'msi' }], devices: [] }],
});
const armGuest = (id: string, host: string, ram = '4GiB') => ({
  id,
  host,
  machine: 'virt-8.2',
  cpuVendor: 'arm',
  memory: { ram },
  migration: { dirtyRate: '3000/s', workingSet: '512MiB' },
});

/** A client that retries like a careful operator's script: same Idempotency-Key, back off, up to 60 s. */
async function retrying(
  api: RunningApp,
  method: string,
  path: string,
  body: unknown,
  key: string,
): Promise<{ status: number; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await api.request(method, path, { body, headers: { 'idempotency-key': key } });
      if (response.status < 500) return { status: response.status, attempts: attempt };
    } catch {
      // connection refused or reset while the service restarts
    }
    if (attempt > 120) throw new Error(`${method} ${path} never succeeded`);
    await sleep(500);
  }
}

/** Every guest on exactly one host, and the guest and migration streams agreeing about it. */
async function checkConsistency(api: RunningApp, guestIds: string[]): Promise<number> {
  let anomalies = 0;
  const migrations = (await api.request('GET', '/v1/migrations?limit=1000')).body.items as Array<{
    id: string;
    guestId: string;
    state: string;
    sourceHostId: string;
    destinationHostId: string;
  }>;
  for (const guestId of guestIds) {
    const stream = (await api.request('GET', `/v1/streams/guest-${guestId}`)).body.events as Array<{
      type: string;
      data: any;
    }>;
    totals.eventsChecked += stream.length;
    const placements = stream.filter((e) => e.type === 'GuestPlaced' || e.type === 'GuestMigrated');
    const fromLog =
      placements.at(-1)?.type === 'GuestMigrated' ? placements.at(-1)!.data.toHostId : placements.at(-1)?.data.hostId;
    const view = (await api.request('GET', `/v1/guests/${guestId}`)).body.host;
    if (view !== fromLog) anomalies++;
    for (const m of migrations.filter((x) => x.guestId === guestId)) {
      const moved = stream.filter((e) => e.type === 'GuestMigrated' && e.data.migrationId === m.id).length;
      const events = (await api.request('GET', `/v1/streams/migration-${m.id}`)).body.events as Array<{ type: string }>;
      totals.eventsChecked += events.length;
      if (!isTerminalState(m.state)) anomalies++;
      if ((m.state === 'completed') !== (moved === 1) || moved > 1) anomalies++;
      if (
        events.filter((e) =>
          ['MigrationCompleted', 'MigrationFailed', 'MigrationCancelled', 'MigrationRejected'].includes(e.type),
        ).length !== 1
      )
        anomalies++;
    }
  }
  return anomalies;
}

afterAll(() => {
  console.log(
    `\nchaos: runs=${totals.runs} faults injected=${totals.faults} events checked=${totals.eventsChecked} anomalies=${totals.anomalies}\n`,
  );
});

describe('chaos', () => {
  it('PostgreSQL restarted during a burst of writes: nothing committed is lost, nothing duplicated', async () => {
    const backend = postgresBackend();
    const api = await startApp(backend);
    const ids = Array.from({ length: 300 }, (_, i) => `burst-${i}`);
    let done = 0;
    const restart = (async () => {
      while (done < 80) await sleep(10);
      restartPostgres();
      totals.faults++;
    })();
    const queue = [...ids];
    const attempts: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        for (let id = queue.shift(); id; id = queue.shift()) {
          const result = await retrying(api, 'POST', '/v1/hosts', armHost(id), `create-${id}`);
          expect(result.status).toBe(201);
          attempts.push(result.attempts);
          done++;
        }
      }),
    );
    await restart;
    const events = [];
    for (let after = 0; ;) {
      const page = (await api.request('GET', `/v1/events?after=${after}&limit=1000`)).body;
      if (page.events.length === 0) break;
      events.push(...page.events);
      after = page.next;
    }
    totals.eventsChecked += events.length;
    const registered = events
      .filter((e: { type: string }) => e.type === 'HostRegistered')
      .map((e: { data: { host: { id: string } } }) => e.data.host.id);
    const missing = ids.filter((id) => !registered.includes(id)).length;
    const duplicated = registered.length - new Set(registered).size;
    totals.anomalies += missing + duplicated;
    totals.runs++;
    console.log(
      `postgres restart: ${ids.length} writes, ${attempts.filter((a) => a > 1).length} needed retries, ${missing} missing, ${duplicated} duplicated`,
    );
    expect(missing).toBe(0);
    expect(duplicated).toBe(0);
    expect(attempts.some((a) => a > 1)).toBe(true);
    await api.close();
    await backend.cleanup();
  }, 180_000);

  it('Redis restarted mid-evacuation: every migration finishes or fails truthfully', async () => {
    const backend = postgresBackend();
    const prefix = `ferry-chaos-${randomBytes(3).toString('hex')}`;
    const store = backend.config();
    const env = {
      REDIS_URL,
      FERRY_QUEUE_PREFIX: prefix,
      DATABASE_URL: store.databaseUrl!,
      DATABASE_SCHEMA: store.schema!,
      FERRY_LEASE_MS: '2000',
      FERRY_EMULATOR_SPEED: '4',
    };
    const api = await startApp(backend, { redisUrl: REDIS_URL, runWorkers: false, queuePrefix: prefix, leaseMs: 2000 });
    const guests = Array.from({ length: 10 }, (_, i) => armGuest(`evac-${i}`, 'ev-src', `${2 + (i % 3)}GiB`));
    await api.request('POST', '/v1/fleet', {
      body: { hosts: [armHost('ev-src'), armHost('ev-d1'), armHost('ev-d2'), armHost('ev-d3')], guests },
    });
    const workers: WorkerProcess[] = [await startWorker(env), await startWorker(env)];
    const evacuation = await api.request('POST', '/v1/hosts/ev-src/evacuate', { body: {} });
    expect(evacuation.status).toBe(202);
    const progress = () => api.request('GET', `/v1/evacuations/${evacuation.body.id}`).then((r) => r.body);
    for (let p = await progress(); p.running === 0 && p.completed === 0; p = await progress()) await sleep(50);
    restartRedis();
    totals.faults++;
    const deadline = Date.now() + 150_000;
    let final = await progress();
    while (!final.done && Date.now() < deadline) {
      await sleep(250);
      final = await progress();
    }
    const anomalies =
      (final.done ? 0 : 1) +
      (await checkConsistency(
        api,
        guests.map((g) => g.id),
      ));
    totals.anomalies += anomalies;
    totals.runs++;
    console.log(
      `redis restart mid-evacuation: ${final.completed} completed, ${final.failed} failed, done=${final.done}, anomalies=${anomalies}`,
    );
    expect(anomalies).toBe(0);
    for (const w of workers) await w.kill('SIGTERM');
    await api.close();
    await backend.cleanup();
    await deleteRedisKeys(prefix);
  }, 240_000);

  it('a worker SIGKILLed at random points over 20 runs: every guest on exactly one host, the streams agree', async () => {
    const backend = postgresBackend();
    const prefix = `ferry-chaos-${randomBytes(3).toString('hex')}`;
    const store = backend.config();
    const env = {
      REDIS_URL,
      FERRY_QUEUE_PREFIX: prefix,
      DATABASE_URL: store.databaseUrl!,
      DATABASE_SCHEMA: store.schema!,
      FERRY_LEASE_MS: '1500',
      FERRY_EMULATOR_SPEED: '2',
    };
    const api = await startApp(backend, { redisUrl: REDIS_URL, runWorkers: false, queuePrefix: prefix, leaseMs: 1500 });
    const guests = Array.from({ length: 4 }, (_, i) => armGuest(`kill-${i}`, i % 2 ? 'k-a' : 'k-b'));
    await api.request('POST', '/v1/fleet', { body: { hosts: [armHost('k-a'), armHost('k-b')], guests } });
    let random = 0x2545f491;
    const next = () => (random = (random * 1103515245 + 12345) >>> 0) / 2 ** 32;
    let rescuer = await startWorker(env);
    for (let run = 0; run < 20; run++) {
      const guest = guests[run % guests.length]!;
      const current = (await api.request('GET', `/v1/guests/${guest.id}`)).body.host;
      const victim = await startWorker(env);
      await rescuer.kill('SIGTERM'); // the victim alone picks the job up
      const submitted = await api.request('POST', '/v1/migrations', {
        body: { guestId: guest.id, destinationHostId: current === 'k-a' ? 'k-b' : 'k-a' },
      });
      await sleep(Math.floor(next() * 2500));
      await victim.kill('SIGKILL');
      totals.faults++;
      rescuer = await startWorker(env);
      const deadline = Date.now() + 60_000;
      let state = '';
      while (!isTerminalState(state) && Date.now() < deadline) {
        await sleep(100);
        state = (await api.request('GET', `/v1/migrations/${submitted.body.id}`)).body.state;
      }
      totals.runs++;
    }
    const anomalies = await checkConsistency(
      api,
      guests.map((g) => g.id),
    );
    totals.anomalies += anomalies;
    const states = (await api.request('GET', '/v1/migrations?limit=100')).body.items.map(
      (m: { state: string }) => m.state,
    );
    console.log(
      `worker SIGKILL: 20 runs, ${states.filter((s: string) => s === 'completed').length} completed, ${states.filter((s: string) => s === 'failed').length} failed (interrupted), anomalies=${anomalies}`,
    );
    expect(anomalies).toBe(0);
    await rescuer.kill('SIGTERM');
    await api.close();
    await backend.cleanup();
    await deleteRedisKeys(prefix);
  }, 600_000);
});
