// Background work that fails is logged with its task and context and counted on /metrics, never
// swallowed: here the reconciler's store read fails while the app runs.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EventStore } from '@ferry/event-store';
import { appBackend, type TestBackend } from './support/backends.js';
import { startApp, type RunningApp } from './support/app.js';
import { waitFor } from './support/wait-for.js';

const TASK = 'orchestration.reconcile';

describe('background errors', () => {
  let backend: TestBackend;
  let api: RunningApp;
  const errorsOf = async (task: string): Promise<number> => {
    const response = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${api.token}` } });
    const line = (await response.text())
      .split('\n')
      .find((l) => l.startsWith(`ferry_background_errors_total{task="${task}"}`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };

  beforeAll(async () => {
    backend = appBackend();
    // Short lease: the reconciler runs every leaseMs / 6 (500 ms here).
    api = await startApp(backend, { leaseMs: 3_000 });
  });
  afterAll(async () => {
    await api.close();
    await backend.cleanup();
  });

  it('a healthy reconciler reports nothing', async () => {
    const before = await errorsOf(TASK);
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // two reconcile rounds or more
    expect(await errorsOf(TASK)).toBe(before);
  });

  it('a failing store read in the reconciler is logged with its task and counted', async () => {
    const before = await errorsOf(TASK);
    const store = api.app.get(EventStore);
    const listDocuments = store.dialect.listDocuments.bind(store.dialect);
    const logged: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
    const logSetting = process.env.FERRY_LOG;
    delete process.env.FERRY_LOG; // the test support silences the JSON log; this test reads it
    store.dialect.listDocuments = () => Promise.reject(new Error('the database went away'));
    try {
      await waitFor(
        () => logged.filter((line) => line.includes(TASK)),
        (lines) => lines.length > 0,
        10_000,
      );
    } finally {
      store.dialect.listDocuments = listDocuments;
      process.env.FERRY_LOG = logSetting;
      write.mockRestore();
    }
    const line = JSON.parse(logged.find((l) => l.includes(TASK))!) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'error',
      task: TASK,
      error: 'the database went away',
      workerId: expect.any(String),
    });
    expect(await errorsOf(TASK)).toBeGreaterThan(before);
  });
});
