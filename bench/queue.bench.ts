// 1,000 small migrations through the real pieces: the fleet written with applyFleetFile, each
// migration planned and recorded with requestMigration and enqueued on BullMQ (Redis), executed by
// 4 OrchestrationRuntime workers, every event in PostgreSQL (a fresh schema, dropped afterwards;
// a random queue prefix, deleted afterwards).
// Everything runs in this one Node process (API side and the 4 runtimes share an event loop), as
// in test/queue.e2e.spec.ts; separate worker processes would do better.
// Run: npx tsx --conditions=ferry-source bench/queue.bench.ts
//   BACKLOG=1: submit everything first, then start the workers and time how fast they drain it.
//   JOBS=…, SUBMITTERS=… to vary.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { fleetFileSchema } from '@ferry/domain';
import { openEventStore, type OpenedStore } from '@ferry/event-store';
import { applyFleetFile, FleetCommands, type WriteContext } from '@ferry/fleet';
import { FleetView, OrchestrationRuntime, requestMigration } from '@ferry/orchestration';
import { defaultRuntimeConfig } from '../test/support/runtime-config.js';

const JOBS = Number(process.env.JOBS ?? 1000);
const WORKERS = 4;
/** Concurrent API clients submitting (each waits for its answer before its next request). */
const SUBMITTERS = Number(process.env.SUBMITTERS ?? 1);
const BACKLOG = process.env.BACKLOG === '1';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const tag = randomBytes(4).toString('hex');
const schema = `bench_${tag}`;
const prefix = `ferry-bench-${tag}`;
// Slot limits raised past the job count: the queue, the log and the workers are measured, not the limits.
const LIMITS = { outboundPerHost: JOBS, inboundPerHost: JOBS, fleet: JOBS };
const TERMINAL = new Set(['MigrationCompleted', 'MigrationFailed', 'MigrationRejected', 'MigrationCancelled']);
const ctx: WriteContext = { metadata: { actor: 'bench' } };

const host = (id: string) => ({
  id,
  pool: 'rack',
  arch: 'aarch64',
  cpuVendor: 'arm',
  memory: '1TiB',
  kernel: '6.8.0',
  iommu: { model: 'arm-smmuv3', addressWidthBits: 48, interruptRemapping: true, vfioBackends: ['type1v2'] },
  groups: [
    {
      id: 12,
      reservedRegions: [{ start: '0x08000000', end: '0x080fffff', type: 'msi' }],
      devices: [{ address: '0000:81:00.0', class: 'network', driver: 'vfio-pci' }],
    },
  ],
});
const sources = ['s1', 's2', 's3', 's4'];
const destinations = ['d1', 'd2', 'd3', 'd4'];
const guestId = (i: number) => `g-${String(i).padStart(4, '0')}`;
// 256 MiB and idle (no dirty-rate hint): one migration is a few hundred virtual ms, so the
// emulator's cost is small next to the queue's and the log's.
const guests = Array.from({ length: JOBS }, (_, i) => ({
  id: guestId(i),
  host: sources[i % 4]!,
  machine: 'virt-8.2',
  cpuVendor: 'arm',
  memory: { ram: '256MiB' },
}));

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const opened: OpenedStore[] = [];
const runtimes: OrchestrationRuntime[] = [];
try {
  const api = await openEventStore({ databaseUrl: DATABASE_URL, schema });
  opened.push(api);
  const fleet = new FleetView(api.store);
  await applyFleetFile(
    new FleetCommands(api.store),
    fleetFileSchema.parse({ hosts: [...sources, ...destinations].map(host), guests }),
    ctx,
  );
  // The API process only enqueues; the workers are 4 more runtimes, each with its own pool and Redis connections.
  const enqueuer = new OrchestrationRuntime(api.store, fleet, {
    ...defaultRuntimeConfig(),
    redisUrl: REDIS_URL,
    queuePrefix: prefix,
    limits: LIMITS,
    workerId: 'api',
  });
  runtimes.push(enqueuer);
  for (let w = 0; w < WORKERS; w++) {
    const store = await openEventStore({ databaseUrl: DATABASE_URL, schema });
    opened.push(store);
    const runtime = new OrchestrationRuntime(store.store, new FleetView(store.store), {
      ...defaultRuntimeConfig(),
      redisUrl: REDIS_URL,
      queuePrefix: prefix,
      limits: LIMITS,
      workerId: `w${w}`,
    });
    runtimes.push(runtime);
  }
  const startWorkers = () => runtimes.slice(1).forEach((r) => r.startWorkers());
  if (!BACKLOG) startWorkers();
  await fleet.snapshot(); // warm the fleet view, as a running API has

  // Submit: what POST /v1/migrations does (snapshot, plan + record, enqueue), timed per request.
  const submittedAt = new Map<string, number>();
  const latencies: number[] = [];
  const parts = { snapshot: [] as number[], request: [] as number[], enqueue: [] as number[] };
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: SUBMITTERS }, async () => {
      for (let i = next++; i < JOBS; i = next++) {
        const t0 = performance.now();
        const snapshot = await fleet.snapshot();
        const t1 = performance.now();
        const outcome = await requestMigration(
          api.store,
          snapshot,
          { guestId: guestId(i), destinationHostId: destinations[i % 4]! },
          ctx,
          { linkBandwidth: defaultRuntimeConfig().linkBandwidth },
        );
        const t2 = performance.now();
        await enqueuer.enqueueMigration(outcome.id);
        const t3 = performance.now();
        latencies.push(t3 - t0);
        parts.snapshot.push(t1 - t0);
        parts.request.push(t2 - t1);
        parts.enqueue.push(t3 - t2);
        submittedAt.set(outcome.id, Date.now());
      }
    }),
  );
  const submitMs = Date.now() - started;
  const drainStarted = Date.now();
  if (BACKLOG) startWorkers();

  // Wait for every migration to end, following the log.
  const endedAt = new Map<string, number>();
  const outcomes = new Map<string, number>();
  let position = 0;
  while (endedAt.size < JOBS) {
    const events = await api.store.readAll({ after: position, limit: 5000 });
    for (const e of events) {
      if (!TERMINAL.has(e.type) || !e.streamId.startsWith('migration-')) continue;
      endedAt.set(e.streamId.slice('migration-'.length), Date.parse(e.recordedAt));
      outcomes.set(e.type, (outcomes.get(e.type) ?? 0) + 1);
    }
    position = events.at(-1)?.position ?? position;
    if (events.length === 0) await new Promise((r) => setTimeout(r, 50));
    if (Date.now() - started > 600_000) throw new Error(`timed out with ${endedAt.size}/${JOBS} ended`);
  }
  const lastEnd = Math.max(...endedAt.values());
  // Live: from the first submit to the last end. Backlog: from starting the workers to the last end.
  const totalMs = lastEnd - (BACKLOG ? drainStarted : started);
  latencies.sort((a, b) => a - b);
  const endToEnd = [...endedAt].map(([id, at]) => at - submittedAt.get(id)!).sort((a, b) => a - b);
  console.log(
    `${JOBS} migrations of idle 256 MiB guests, ${WORKERS} worker runtimes (BullMQ concurrency 8 each), ${SUBMITTERS} submitter(s), ${BACKLOG ? 'workers started after all submits (drain rate)' : 'workers running while submitting'}; PostgreSQL event store, Redis queue and slots; slot limits raised to ${JOBS}`,
  );
  console.table([
    {
      [BACKLOG ? 'jobs/s draining' : 'jobs/s end to end']: +((JOBS * 1000) / totalMs).toFixed(1),
      'total s': +(totalMs / 1000).toFixed(1),
      'submits/s': +((JOBS * 1000) / submitMs).toFixed(1),
      'submit p50 ms': +percentile(latencies, 50).toFixed(1),
      'submit p99 ms': +percentile(latencies, 99).toFixed(1),
      'of which snapshot/plan+append/enqueue p50 ms': Object.values(parts)
        .map((v) =>
          percentile(
            v.sort((a, b) => a - b),
            50,
          ).toFixed(1),
        )
        .join(' / '),
      'submit→end p50 ms': percentile(endToEnd, 50),
      'submit→end p99 ms': percentile(endToEnd, 99),
      completed: outcomes.get('MigrationCompleted') ?? 0,
      'failed/rejected': JOBS - (outcomes.get('MigrationCompleted') ?? 0),
    },
  ]);
} finally {
  for (const r of runtimes) await r.close();
  for (const o of opened) await o.close();
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
}
