// Another process holding SQLite's write lock (a second API instance, the CLI) must not freeze this one:
// better-sqlite3 is synchronous, so its busy_timeout would block the whole event loop while it waits.
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteBackend, type TestBackend } from '../../../test/support/backends.js';
import { openEventStore, ProjectionRunner, type OpenedStore } from './index.js';

describe('SQLite while another connection holds the write lock', () => {
  let backend: TestBackend;
  let opened: OpenedStore;
  let other: Database.Database;

  beforeEach(async () => {
    backend = sqliteBackend();
    opened = await openEventStore(backend.config());
    other = new Database(backend.config().sqlitePath!);
  });
  afterEach(async () => {
    other.close();
    await opened.close();
    await backend.cleanup();
  });

  /** Holds the lock until a timer releases it; the timer can only fire if the event loop is free. */
  function holdLockFor(ms: number): { released: () => boolean } {
    other.exec('BEGIN IMMEDIATE');
    let released = false;
    setTimeout(() => {
      other.exec('COMMIT');
      released = true;
    }, ms);
    return { released: () => released };
  }

  it('an append waits without blocking the event loop, and lands once the lock is free', async () => {
    const lock = holdLockFor(300);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    try {
      const result = await opened.store.append('busy-1', [{ type: 'A', data: {} }], 'no-stream');
      expect(lock.released()).toBe(true);
      expect(ticks).toBeGreaterThan(3);
      expect(result.versions['busy-1']).toBe(1);
    } finally {
      clearInterval(ticker);
    }
  });

  it('a projection write waits the same way', async () => {
    await opened.store.append('busy-2', [{ type: 'A', data: {} }]);
    const lock = holdLockFor(300);
    const runner = new ProjectionRunner(opened.store);
    const position = await runner.catchUp({ name: 'busy', documentIds: () => ['x'], apply: () => ({ seen: true }) });
    expect(lock.released()).toBe(true);
    expect(position).toBeGreaterThan(0);
  });

  it('reads never wait for the write lock (WAL)', async () => {
    await opened.store.append('busy-3', [{ type: 'A', data: {} }]);
    const lock = holdLockFor(300);
    expect((await opened.store.readStream('busy-3')).length).toBe(1);
    expect(lock.released()).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 350));
  });
});
