import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BullMqQueue,
  InMemorySlotLimiter,
  InProcessQueue,
  RedisSlotLimiter,
  type JobQueue,
  type SlotLimiter,
} from './index.js';
import { waitFor } from '../../../test/support/wait-for.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const unique = (stem: string) => `${stem}-${randomBytes(4).toString('hex')}`;
const until = (check: () => boolean) => waitFor(check, (ok) => ok, 10_000, { everyMs: 20 });

const queues: Array<[string, () => JobQueue<{ n: number }>]> = [
  ['in-process', () => new InProcessQueue(unique('q'))],
  ['bullmq', () => new BullMqQueue(unique('ferry-test'), { connection: { url: REDIS_URL }, prefix: 'ferry-test' })],
];

describe.each(queues)('job queue contract: %s', (_name, makeQueue) => {
  const opened: JobQueue<{ n: number }>[] = [];
  const queue = () => {
    const q = makeQueue();
    opened.push(q);
    return q;
  };
  afterAll(async () => {
    for (const q of opened) {
      if (q instanceof BullMqQueue) await q.obliterate();
      await q.close();
    }
  });

  it('runs each enqueued job once, even when the same id is enqueued again while waiting', async () => {
    const q = queue();
    const seen: string[] = [];
    await q.enqueue('a', { n: 1 });
    await q.enqueue('a', { n: 1 });
    await q.enqueue('b', { n: 2 });
    const worker = q.work(
      async (job) => {
        seen.push(`${job.id}:${job.data.n}`);
        return { kind: 'done' };
      },
      { concurrency: 1 },
    );
    await until(() => seen.length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    await worker.close();
    expect(seen.sort()).toEqual(['a:1', 'b:2']);
  });

  it('runs a job again after a "later" answer, without counting a failure', async () => {
    const q = queue();
    const runs: number[] = [];
    const worker = q.work(
      async () => {
        runs.push(Date.now());
        return runs.length < 3 ? { kind: 'later', delayMs: 100 } : { kind: 'done' };
      },
      { concurrency: 1 },
    );
    await q.enqueue('retry', { n: 0 });
    await until(() => runs.length >= 3);
    await worker.close();
    expect(runs[1]! - runs[0]!).toBeGreaterThanOrEqual(90);
    expect((await q.counts()).failed).toBe(0);
  });

  it('never runs more jobs at once than the concurrency', async () => {
    const q = queue();
    let running = 0;
    let peak = 0;
    let done = 0;
    const worker = q.work(
      async () => {
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 30));
        running--;
        done++;
        return { kind: 'done' };
      },
      { concurrency: 3 },
    );
    for (let i = 0; i < 12; i++) await q.enqueue(`c${i}`, { n: i });
    await until(() => done === 12);
    await worker.close();
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
  });
});

const limiters: Array<[string, (leaseMs: number) => SlotLimiter]> = [
  ['in-memory', (leaseMs) => new InMemorySlotLimiter({ outboundPerHost: 2, inboundPerHost: 2, fleet: 3 }, leaseMs)],
  [
    'redis',
    (leaseMs) =>
      new RedisSlotLimiter({
        url: REDIS_URL,
        prefix: unique('ferry-test:slots'),
        limits: { outboundPerHost: 2, inboundPerHost: 2, fleet: 3 },
        leaseMs,
      }),
  ],
];

describe.each(limiters)('migration slot limits: %s', (_name, makeLimiter) => {
  it('enforces outbound, inbound and fleet limits and says which one a migration waits for', async () => {
    const limiter = makeLimiter(60_000);
    const m = (id: string, source: string, destination: string) => ({ id, source, destination });
    expect(await limiter.tryAcquire(m('m1', 'a', 'x'))).toEqual({ acquired: true });
    expect(await limiter.tryAcquire(m('m2', 'a', 'y'))).toEqual({ acquired: true });
    expect(await limiter.tryAcquire(m('m3', 'a', 'z'))).toEqual({
      acquired: false,
      reason: 'waiting for an outbound slot on a (limit 2)',
    });
    expect(await limiter.tryAcquire(m('m4', 'b', 'x'))).toEqual({ acquired: true });
    expect(await limiter.tryAcquire(m('m5', 'c', 'x'))).toEqual({
      acquired: false,
      reason: 'waiting for an inbound slot on x (limit 2)',
    });
    expect(await limiter.tryAcquire(m('m5', 'c', 'w'))).toEqual({
      acquired: false,
      reason: 'waiting for a fleet-wide migration slot (limit 3)',
    });
    await limiter.release(m('m4', 'b', 'x'));
    expect(await limiter.tryAcquire(m('m5', 'c', 'w'))).toEqual({ acquired: true });
    expect(await limiter.tryAcquire(m('m6', 'd', 'v'))).toMatchObject({
      acquired: false,
      reason: expect.stringContaining('fleet-wide'),
    });
    // A holder renewing its own lease is never refused.
    expect(await limiter.tryAcquire(m('m1', 'a', 'x'))).toEqual({ acquired: true });
    await limiter.close();
  });

  it('frees the slot of a holder that stopped renewing (a killed worker)', async () => {
    const limiter = makeLimiter(150);
    const held = { id: 'dead', source: 'h1', destination: 'h2' };
    await limiter.tryAcquire(held);
    await limiter.tryAcquire({ id: 'alive', source: 'h1', destination: 'h3' });
    expect((await limiter.tryAcquire({ id: 'next', source: 'h1', destination: 'h4' })).acquired).toBe(false);
    expect(await limiter.holds(held)).toBe(true);
    await new Promise((r) => setTimeout(r, 250));
    expect(await limiter.holds(held)).toBe(false);
    expect((await limiter.tryAcquire({ id: 'next', source: 'h1', destination: 'h4' })).acquired).toBe(true);
    await limiter.close();
  });

  it('never lets 30 concurrent requests overshoot the limits', async () => {
    const limiter = makeLimiter(60_000);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => limiter.tryAcquire({ id: `r${i}`, source: 'src', destination: `d${i}` })),
    );
    expect(answers.filter((a) => a.acquired)).toHaveLength(2);
    await limiter.close();
  });
});

afterAll(async () => {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys('ferry-test:slots-*');
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});
