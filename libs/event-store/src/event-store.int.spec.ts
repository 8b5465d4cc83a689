import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type TestBackend } from '../../../test/support/backends.js';
import {
  ConcurrencyError,
  IdempotencyKeyReusedError,
  openEventStore,
  ProjectionRunner,
  type OpenedStore,
  type Projection,
} from './index.js';

const event = (type: string, data: unknown = {}) => ({ type, data });

describe.each(backends.map((make) => [make().name, make] as const))(
  'event store contract on %s',
  (_name, makeBackend) => {
    let backend: TestBackend;
    let opened: OpenedStore;

    beforeAll(async () => {
      backend = makeBackend();
      opened = await openEventStore(backend.config());
    });
    afterAll(async () => {
      await opened.close();
      await backend.cleanup();
    });

    const store = () => opened.store;

    it('appends several events atomically and numbers them from version 1', async () => {
      const result = await store().append('order-1', [event('A', { n: 1 }), event('B', { n: 2 })], 'no-stream');
      expect(result.versions['order-1']).toBe(2);
      const read = await store().readStream('order-1');
      expect(read.map((e) => [e.streamVersion, e.type, e.data])).toEqual([
        [1, 'A', { n: 1 }],
        [2, 'B', { n: 2 }],
      ]);
      expect(read[1]!.position).toBeGreaterThan(read[0]!.position);
    });

    it('enforces every kind of expected version', async () => {
      await expect(store().append('order-1', [event('C')], 'no-stream')).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(store().append('order-new', [event('C')], 'exists')).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(store().append('order-1', [event('C')], 1)).rejects.toMatchObject({ actual: 2, expected: 1 });
      await store().append('order-1', [event('C')], 2);
      await store().append('order-1', [event('D')], 'exists');
      await store().append('order-1', [event('E')], 'any');
      expect(await store().streamVersion('order-1')).toBe(5);
      expect(await store().streamVersion('order-new')).toBe(0);
    });

    it('writes nothing when one stream of a multi-stream append fails its check', async () => {
      const before = await store().lastPosition();
      await expect(
        store().appendMany([
          { streamId: 'multi-a', expectedVersion: 'no-stream', events: [event('X')] },
          { streamId: 'order-1', expectedVersion: 0, events: [event('Y')] },
        ]),
      ).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await store().lastPosition()).toBe(before);
      expect(await store().readStream('multi-a')).toEqual([]);
    });

    it('names the stream that failed its check, and continues a stream listed twice in one append', async () => {
      await expect(
        store().appendMany([
          { streamId: 'twice-a', expectedVersion: 'any', events: [event('X')] },
          { streamId: 'order-1', expectedVersion: 'no-stream', events: [event('Y')] },
        ]),
      ).rejects.toMatchObject({ streamId: 'order-1', expected: 'no-stream', actual: 5 });
      const outcome = await store().appendMany([
        { streamId: 'listed-twice', expectedVersion: 'no-stream', events: [event('P'), event('Q')] },
        { streamId: 'other', expectedVersion: 'any', events: [] },
        { streamId: 'listed-twice', expectedVersion: 2, events: [event('R')] },
      ]);
      if (outcome.kind !== 'appended') throw new Error('expected an append');
      expect(outcome.result.versions).toEqual({ 'listed-twice': 3, other: 0 });
      expect(outcome.result.events.map((e) => [e.streamVersion, e.type])).toEqual([
        [1, 'P'],
        [2, 'Q'],
        [3, 'R'],
      ]);
      const stored = await store().readStream('listed-twice');
      expect(stored.map((e) => e.position)).toEqual(outcome.result.events.map((e) => e.position));
      expect(outcome.result.lastPosition).toBe(stored[2]!.position);
      expect(await store().readStream('twice-a')).toEqual([]);
    });

    it('lets exactly one of 20 parallel appends with the same expected version win, with no gap or duplicate', async () => {
      await store().append('race', [event('Start')], 'no-stream');
      const attempts = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => store().append('race', [event('Try', { i })], 1)),
      );
      const won = attempts.filter((a) => a.status === 'fulfilled');
      const lost = attempts.filter((a) => a.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(19);
      for (const failure of lost) expect((failure as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
      const versions = (await store().readStream('race')).map((e) => e.streamVersion);
      expect(versions).toEqual([1, 2]);
    });

    it('keeps versions gapless under 20 concurrent writers that retry on conflict', async () => {
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          for (;;) {
            const version = await store().streamVersion('counter');
            try {
              await store().append('counter', [event('Inc', { i })], version);
              return;
            } catch (error) {
              if (!(error instanceof ConcurrencyError)) throw error;
            }
          }
        }),
      );
      const stream = await store().readStream('counter');
      expect(stream.map((e) => e.streamVersion)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(new Set(stream.map((e) => (e.data as { i: number }).i)).size).toBe(20);
    });

    it('reads all events in global order from a position, in pages', async () => {
      const all = await store().readAll({ after: 0, limit: 10_000 });
      const positions = all.map((e) => e.position);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      const page = await store().readAll({ after: positions[2]!, limit: 3 });
      expect(page.map((e) => e.position)).toEqual(positions.slice(3, 6));
    });

    it('reads a stream as it was at a global position', async () => {
      const full = await store().readStream('order-1');
      const asOf = await store().readStream('order-1', { upToPosition: full[1]!.position });
      expect(asOf.map((e) => e.type)).toEqual(['A', 'B']);
    });

    it('stores metadata and the recording time', async () => {
      await store().append('meta', [
        { type: 'M', data: {}, metadata: { actor: 'alice', correlationId: 'c-1', idempotencyKey: 'k' } },
      ]);
      const [stored] = await store().readStream('meta');
      expect(stored!.metadata).toMatchObject({ actor: 'alice', correlationId: 'c-1', idempotencyKey: 'k' });
      expect(Date.parse(stored!.recordedAt)).not.toBeNaN();
    });

    it('replays the first answer for a repeated idempotency key and writes nothing new', async () => {
      const request = (n: number) => [
        { streamId: 'idem', expectedVersion: 'any' as const, events: [event('Paid', { n })] },
      ];
      const options = {
        key: 'key-1',
        fingerprint: 'fp-1',
        respond: (r: { lastPosition: number }) => ({ status: 201, body: { position: r.lastPosition } }),
      };
      const first = await store().appendMany(request(1), options);
      const concurrent = await Promise.all([
        store().appendMany(request(1), options),
        store().appendMany(request(1), options),
      ]);
      expect(first.kind).toBe('appended');
      for (const again of concurrent) {
        expect(again.kind).toBe('replayed');
        if (again.kind === 'replayed' && first.kind === 'appended')
          expect(again.record.body).toEqual({ position: first.result.lastPosition });
      }
      expect(await store().readStream('idem')).toHaveLength(1);
      await expect(store().appendMany(request(2), { ...options, fingerprint: 'fp-other' })).rejects.toBeInstanceOf(
        IdempotencyKeyReusedError,
      );
    });

    it('refuses an idempotent append that fails its check, and keeps no answer for the key', async () => {
      const options = {
        key: 'key-conflict',
        fingerprint: 'fp-c',
        respond: () => ({ status: 201, body: {} }),
      };
      const request = [{ streamId: 'order-1', expectedVersion: 'no-stream' as const, events: [event('Z')] }];
      await expect(store().appendMany(request, options)).rejects.toMatchObject({
        name: 'ConcurrencyError',
        streamId: 'order-1',
        expected: 'no-stream',
      });
      expect(await store().findIdempotency('key-conflict')).toBeUndefined();
    });

    describe('projections', () => {
      const counts: Projection<{ count: number }> = {
        name: 'event-counts',
        documentIds: (e) => [e.streamId],
        apply: (doc, e) => (e.type === 'Deleted' ? undefined : { count: (doc?.count ?? 0) + 1 }),
      };

      it('catches up, checkpoints, and can be rebuilt from position 0 to the same result', async () => {
        const runner = new ProjectionRunner(store(), 7);
        const checkpoint = await runner.catchUp(counts);
        expect(checkpoint).toBe(await store().lastPosition());
        expect(await runner.document(counts, 'order-1')).toEqual({ count: 5 });
        const before = await runner.documents(counts);
        await runner.rebuild(counts);
        expect(await runner.documents(counts)).toEqual(before);
      });

      it('is caught up before a read that asks for it, and deletes documents', async () => {
        const runner = new ProjectionRunner(store());
        await store().append('gone', [event('Made'), event('Deleted')]);
        await store().append('order-1', [event('F')]);
        expect(await runner.document(counts, 'order-1')).toEqual({ count: 6 });
        expect(await runner.document(counts, 'gone')).toBeUndefined();
      });

      it('applies each event once when two runners catch up concurrently', async () => {
        await store().append(
          'twice',
          Array.from({ length: 30 }, () => event('T')),
        );
        const a = new ProjectionRunner(store(), 4);
        const b = new ProjectionRunner(store(), 4);
        await Promise.all([a.catchUp(counts), b.catchUp(counts), a.catchUp(counts)]);
        expect(await a.document(counts, 'twice')).toEqual({ count: 30 });
      });
    });
  },
);

describe('sqlite file', () => {
  it('serves the same events after the store is closed and opened again', async () => {
    const backend = backends[0]!();
    const first = await openEventStore(backend.config());
    await first.store.append('durable', [event('Kept', { value: '0xfee00000' })]);
    await first.close();
    const second = await openEventStore(backend.config());
    expect((await second.store.readStream('durable')).map((e) => e.data)).toEqual([{ value: '0xfee00000' }]);
    await second.close();
    await backend.cleanup();
  });
});
