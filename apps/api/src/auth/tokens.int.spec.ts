import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEventStore, type OpenedStore } from '@ferry/event-store';
import { sqliteBackend, type TestBackend } from '../../../../test/support/backends.js';
import { TokenSecrets } from './token-secrets.js';
import { TokenRegistry } from './tokens.js';

const SYSTEM = { metadata: { actor: 'test' } };

describe('the token registry', () => {
  let backend: TestBackend;
  let opened: OpenedStore;
  const registry = () => new TokenRegistry(opened.store, new TokenSecrets(opened.dataSource));

  beforeEach(async () => {
    backend = sqliteBackend();
    opened = await openEventStore(backend.config());
  });
  afterEach(async () => {
    await opened.close();
    await backend.cleanup();
  });

  it('answers a flood of unknown secrets without reading the log again for each', async () => {
    const tokens = registry();
    const issued = (await tokens.issue('a', 'viewer', SYSTEM)).body as { token: string };
    expect(await tokens.authenticate(issued.token)).toBeDefined();
    let reads = 0;
    const readAll = opened.store.readAll.bind(opened.store);
    opened.store.readAll = (options) => (reads++, readAll(options));
    const started = performance.now();
    for (let i = 0; i < 1000; i++) expect(await tokens.authenticate(`fry_unknown_${i}`)).toBeUndefined();
    // At most the once-a-second look for other instances' tokens; never one per unknown secret.
    expect(reads).toBeLessThanOrEqual(1 + Math.floor((performance.now() - started) / 1000));
  });

  it('sees a token another instance issued within a second, and its revocation too', async () => {
    const here = registry();
    const there = registry();
    await here.authenticate('fry_warm_up');
    const issued = (await there.issue('b', 'operator', SYSTEM)).body as { id: string; token: string };
    await new Promise((resolve) => setTimeout(resolve, 1050));
    expect((await here.authenticate(issued.token))?.role).toBe('operator');
    await there.revoke(issued.id, SYSTEM.metadata);
    await new Promise((resolve) => setTimeout(resolve, 1050));
    expect(await here.authenticate(issued.token)).toBeUndefined();
  });

  it('keeps hashes out of the log: only token_secrets holds them', async () => {
    const tokens = registry();
    const { body } = await tokens.issue('c', 'admin', SYSTEM);
    const log = JSON.stringify(await opened.store.readAll());
    expect(log).toContain((body as { id: string }).id);
    expect(log).not.toMatch(/[0-9a-f]{64}/);
    expect([...(await new TokenSecrets(opened.dataSource).all()).values()][0]).toMatch(/^[0-9a-f]{64}$/);
  });
});
