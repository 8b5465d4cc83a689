// Event store throughput on SQLite and PostgreSQL, next to raw inserts measured in the same run.
// Run: npm run bench -- event-store
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openEventStore, type OpenedStore } from '@ferry/event-store';

const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const payload = {
  host: 'host-a',
  groupId: 12,
  reservedRegions: [{ start: '0x8000000', end: '0x80fffff', type: 'msi' }],
};
const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);
const fmt = (n: number) => n.toLocaleString('en-US').padStart(9);

async function time(work: () => Promise<void> | void): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

function rawSqlite(dir: string, single: number, batched: number, batch: number) {
  const db = new Database(join(dir, 'raw.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream_id TEXT, stream_version INTEGER, type TEXT, data TEXT, metadata TEXT, recorded_at TEXT, UNIQUE (stream_id, stream_version))',
  );
  const insert = db.prepare(
    'INSERT INTO events (stream_id, stream_version, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const now = new Date().toISOString();
  const one = db.transaction((i: number) =>
    insert.run(`s-${i % 100}`, Math.floor(i / 100) + 1, 'ReservedRegionsReported', JSON.stringify(payload), '{}', now),
  );
  let start = performance.now();
  for (let i = 0; i < single; i++) one(i);
  const singleRate = rate(single, performance.now() - start);
  const many = db.transaction((from: number) => {
    for (let i = from; i < from + batch; i++)
      insert.run(
        `b-${i % 100}`,
        Math.floor(i / 100) + 1,
        'ReservedRegionsReported',
        JSON.stringify(payload),
        '{}',
        now,
      );
  });
  start = performance.now();
  for (let i = 0; i < batched; i += batch) many(i);
  const batchRate = rate(batched, performance.now() - start);
  db.close();
  return { singleRate, batchRate };
}

/** Raw pg on one client: single = one autocommit INSERT per event; batched = one multi-row INSERT of `batch` in a transaction. */
async function rawPostgres(single: number, batched: number, batch: number) {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  const table = `bench_raw_events_${process.pid}`;
  await client.query(
    `CREATE TABLE ${table} (position bigserial PRIMARY KEY, stream_id text, stream_version int, type text, data jsonb, metadata jsonb, recorded_at text, UNIQUE (stream_id, stream_version))`,
  );
  const row = (stream: string, i: number) => [
    `${stream}-${i % 100}`,
    Math.floor(i / 100) + 1,
    'ReservedRegionsReported',
    JSON.stringify(payload),
    '{}',
    new Date().toISOString(),
  ];
  const columns = `INSERT INTO ${table} (stream_id, stream_version, type, data, metadata, recorded_at) VALUES`;
  const singleMs = await time(async () => {
    for (let i = 0; i < single; i++) await client.query(`${columns} ($1, $2, $3, $4, $5, $6)`, row('s', i));
  });
  const tuples = Array.from(
    { length: batch },
    (_, k) => `(${[1, 2, 3, 4, 5, 6].map((c) => `$${k * 6 + c}`).join(', ')})`,
  );
  const batchMs = await time(async () => {
    for (let i = 0; i < batched; i += batch) {
      await client.query('BEGIN');
      await client.query(
        `${columns} ${tuples.join(', ')}`,
        Array.from({ length: batch }, (_, k) => row('b', i + k)).flat(),
      );
      await client.query('COMMIT');
    }
  });
  await client.query(`DROP TABLE ${table}`);
  await client.end();
  return { singleRate: rate(single, singleMs), batchRate: rate(batched, batchMs) };
}

async function storeRates(opened: OpenedStore, single: number, batched: number, batch: number) {
  const store = opened.store;
  const event = { type: 'ReservedRegionsReported', data: payload, metadata: { actor: 'bench' } };
  const singleMs = await time(async () => {
    for (let i = 0; i < single; i++) await store.append(`host-${i % 100}`, [event], 'any');
  });
  const batchMs = await time(async () => {
    for (let i = 0; i < batched; i += batch)
      await store.append(
        `batch-${i % 100}`,
        Array.from({ length: batch }, () => event),
        'any',
      );
  });
  let replayed = 0;
  const replayMs = await time(async () => {
    for (let after = 0; ;) {
      const page = await store.readAll({ after, limit: 1000 });
      if (page.length === 0) break;
      replayed += page.length;
      after = page[page.length - 1]!.position;
    }
  });
  return {
    single: rate(single, singleMs),
    batched: rate(batched, batchMs),
    replay: rate(replayed, replayMs),
    replayed,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-'));
try {
  const raw = rawSqlite(dir, 20_000, 100_000, 100);
  const sqlite = await openEventStore({ sqlitePath: join(dir, 'ferry.sqlite') });
  const ferrySqlite = await storeRates(sqlite, 20_000, 100_000, 100);
  await sqlite.close();

  const schema = `bench_${process.pid}`;
  const postgres = await openEventStore({ databaseUrl: PG_URL, schema });
  const ferryPg = await storeRates(postgres, 3_000, 50_000, 100);
  await postgres.dataSource.query(`DROP SCHEMA ${schema} CASCADE`);
  await postgres.close();
  const rawPg = await rawPostgres(3_000, 50_000, 100);

  console.log('event store throughput (events/s; single = one event per transaction, batched = 100 per append)');
  console.log(`                       ${'single'.padStart(9)} ${'batched'.padStart(9)} ${'replay'.padStart(9)}`);
  console.log(`raw better-sqlite3     ${fmt(raw.singleRate)} ${fmt(raw.batchRate)}`);
  console.log(
    `ferry on SQLite        ${fmt(ferrySqlite.single)} ${fmt(ferrySqlite.batched)} ${fmt(ferrySqlite.replay)}  (${ferrySqlite.replayed} events replayed)`,
  );
  console.log(`raw pg                 ${fmt(rawPg.singleRate)} ${fmt(rawPg.batchRate)}`);
  console.log(
    `ferry on PostgreSQL    ${fmt(ferryPg.single)} ${fmt(ferryPg.batched)} ${fmt(ferryPg.replay)}  (${ferryPg.replayed} events replayed)`,
  );
  console.log(
    `SQLite appends vs raw inserts: single ${((ferrySqlite.single / raw.singleRate) * 100).toFixed(0)} %, batched ${((ferrySqlite.batched / raw.batchRate) * 100).toFixed(0)} % (target ≥ 50 %)`,
  );
  console.log(
    `PostgreSQL appends vs raw inserts: single ${((ferryPg.single / rawPg.singleRate) * 100).toFixed(0)} %, batched ${((ferryPg.batched / rawPg.batchRate) * 100).toFixed(0)} %`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
