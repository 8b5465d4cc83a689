// Authentication and roles on every route, checked by walking the router's own route table.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { appBackend, sqliteBackend, type TestBackend } from './support/backends.js';
import { startApp, type RunningApp } from './support/app.js';
import { routeTable } from './support/route-table.js';
import { EXPECTED, type Role } from './support/route-roles.js';
import { EventStore, type OpenedStore } from '@ferry/event-store';
import { OPENED_STORE } from '@ferry/nest-modules';

const RANK: Record<Exclude<Role, 'agent'>, number> = { public: -1, viewer: 0, operator: 1, admin: 2 };

/** The ladder for viewer/operator/admin; agent routes take only an agent bound to the host (or an admin). */
function allowed(role: 'viewer' | 'operator' | 'admin', needed: Role): boolean {
  if (needed === 'agent') return role === 'admin';
  return RANK[role] >= RANK[needed];
}

describe('authentication and roles', () => {
  let backend: TestBackend;
  let api: RunningApp;
  const tokens: Record<'viewer' | 'operator' | 'admin', string> = { viewer: '', operator: '', admin: '' };
  /** Bound to host "x1", the id every route pattern is called with below; and one bound elsewhere. */
  let agentHere = '';
  let agentElsewhere = '';

  beforeAll(async () => {
    backend = appBackend();
    api = await startApp(backend);
    tokens.admin = api.token;
    tokens.viewer = await api.issueToken('viewer', 'vera');
    tokens.operator = await api.issueToken('operator', 'otto');
    const issueAgent = async (name: string, hosts: string[]) =>
      (await api.request('POST', '/v1/tokens', { body: { name, role: 'agent', hosts } })).body.token as string;
    agentHere = await issueAgent('agent-x1', ['x1']);
    agentElsewhere = await issueAgent('agent-other', ['other-host']);
  });
  afterAll(async () => {
    await api.close();
    await backend.cleanup();
  });

  it('knows every route the server has', () => {
    const routes = routeTable(api.app);
    expect(routes.length).toBeGreaterThan(35);
    expect(routes.filter((r) => !(r in EXPECTED))).toEqual([]);
  });

  it('answers 401 without a token and 403 for a role that is too low, on every route', async () => {
    const checked: string[] = [];
    for (const route of routeTable(api.app)) {
      const [method, pattern] = route.split(' ') as [string, string];
      const path = pattern.replace(/:[a-zA-Z]+/g, 'x1');
      const needed = EXPECTED[route]!;
      const call = async (token: string | null) => {
        if (route !== 'GET /v1/stream')
          return api.request(method, path, { token, body: method === 'GET' ? undefined : {} });
        // Server-Sent Events never end: read the status, then hang up.
        const controller = new AbortController();
        const response = await fetch(api.url + path, {
          headers: token ? { authorization: `Bearer ${token}` } : {},
          signal: controller.signal,
        });
        controller.abort();
        return { status: response.status, headers: response.headers, body: undefined };
      };
      if (needed === 'public') {
        expect((await call(null)).status, route).not.toBe(401);
        continue;
      }
      const anonymous = await call(null);
      expect(anonymous.status, `${route} without a token`).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
      expect((await call('fry_not_a_real_token')).status, `${route} with an unknown token`).toBe(401);
      for (const role of ['viewer', 'operator', 'admin'] as const) {
        const status = (await call(tokens[role])).status;
        if (!allowed(role, needed)) expect(status, `${route} as ${role}`).toBe(403);
        else expect([401, 403], `${route} as ${role}`).not.toContain(status);
      }
      // An agent token may call its own host's agent routes and nothing else: no reads, no other host.
      const asAgent = (await call(agentHere)).status;
      if (needed === 'agent') {
        expect([401, 403], `${route} as the host's agent`).not.toContain(asAgent);
        expect((await call(agentElsewhere)).status, `${route} as another host's agent`).toBe(403);
      } else {
        expect(asAgent, `${route} as an agent`).toBe(403);
      }
      checked.push(route);
    }
    expect(checked.length).toBeGreaterThan(35);
  });

  it('binds agent tokens to hosts at issue, and only agent tokens', async () => {
    const unbound = await api.request('POST', '/v1/tokens', { body: { name: 'a1', role: 'agent' } });
    expect(unbound.status).toBe(400);
    expect(unbound.body.problems[0].field).toBe('hosts');
    const viewerWithHosts = await api.request('POST', '/v1/tokens', {
      body: { name: 'v1', role: 'viewer', hosts: ['h1'] },
    });
    expect(viewerWithHosts.status).toBe(400);
    expect(viewerWithHosts.body.problems[0].field).toBe('hosts');
    const listed = await api.request('GET', '/v1/tokens');
    expect(listed.body.items.find((t: { name: string }) => t.name === 'agent-x1').hosts).toEqual(['x1']);
  });

  it('records the token’s id as the actor of every event it writes', async () => {
    await api.request('POST', '/v1/hosts', {
      body: {
        id: 'h-actor',
        arch: 'x86_64',
        cpuVendor: 'intel',
        memory: '64GiB',
        kernel: '6.8.0',
        iommu: { model: 'intel-vtd' },
      },
    });
    const stream = await api.request('GET', '/v1/streams/host-h-actor', { token: tokens.viewer });
    // The token's id, not its name: names can be reused after revocation, ids never.
    const admin = (await api.request('GET', '/v1/tokens')).body.items.find(
      (t: { name: string; revoked: boolean }) => t.name === 'admin-from-env' && !t.revoked,
    );
    expect(stream.body.events[0].metadata.actor).toBe(`token:${admin.id}`);
    const plan = await api.request('POST', '/v1/plans/migration', {
      token: tokens.operator,
      body: { guestId: 'nobody', destinationHostId: 'h-actor' },
    });
    expect(plan.status).toBe(404);
  });

  it('shows a token’s secret once, stores only its hash, and refuses it after revocation', async () => {
    const issued = await api.request('POST', '/v1/tokens', { body: { name: 'temp', role: 'viewer' } });
    expect(issued.status).toBe(201);
    expect(issued.body.token).toMatch(/^fry_[A-Za-z0-9_-]{43}$/);
    const listed = await api.request('GET', '/v1/tokens');
    expect(JSON.stringify(listed.body)).not.toContain(issued.body.token);
    expect(JSON.stringify(listed.body)).not.toMatch(/secretHash/);
    const events = await api.request('GET', '/v1/events?after=0&limit=1000');
    expect(JSON.stringify(events.body)).not.toContain(issued.body.token);
    expect((await api.request('GET', '/v1/hosts', { token: issued.body.token })).status).toBe(200);
    expect((await api.request('DELETE', `/v1/tokens/${issued.body.id}`)).status).toBe(200);
    expect((await api.request('GET', '/v1/hosts', { token: issued.body.token })).status).toBe(401);
  });

  it('serves no secret material to a viewer: no hash in /v1/events, /v1/streams or /v1/stream', async () => {
    const controller = new AbortController();
    const live = await fetch(`${api.url}/v1/stream?after=0`, {
      headers: { authorization: `Bearer ${tokens.viewer}` },
      signal: controller.signal,
    });
    const issued = await api.request('POST', '/v1/tokens', { body: { name: 'hash-probe', role: 'viewer' } });
    const hash = createHash('sha256').update(issued.body.token).digest('hex');
    const reader = live.body!.getReader();
    let seen = '';
    while (!seen.includes(issued.body.id)) seen += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const log = JSON.stringify(
      (await api.request('GET', '/v1/events?after=0&limit=1000', { token: tokens.viewer })).body,
    );
    const stream = JSON.stringify(
      (await api.request('GET', `/v1/streams/token-name-hash-probe`, { token: tokens.viewer })).body,
    );
    expect(stream).toContain(issued.body.id);
    for (const served of [log, stream, seen]) {
      expect(served).not.toContain(hash);
      expect(served).not.toMatch(/secretHash/);
    }
  });

  it('still honours tokens recorded by older versions (hash in the event), without serving that hash', async () => {
    const secret = 'fry_legacy_token_from_an_older_ferry_0123456789';
    const hash = createHash('sha256').update(secret).digest('hex');
    await api.app
      .get(EventStore)
      .append('token-legacy-1', [
        { type: 'TokenIssued', data: { tokenId: 'legacy-1', name: 'old-viewer', role: 'viewer', secretHash: hash } },
      ]);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // another instance's write shows within a second
    expect((await api.request('GET', '/v1/hosts', { token: secret })).status).toBe(200);
    const log = JSON.stringify((await api.request('GET', '/v1/events?after=0&limit=1000', { token: secret })).body);
    expect(log).toContain('legacy-1');
    expect(log).not.toContain(hash);
  });

  it('keeps token names unique among active tokens; a revoked name may be used again', async () => {
    const first = await api.request('POST', '/v1/tokens', { body: { name: 'ci-bot', role: 'operator' } });
    expect(first.status).toBe(201);
    const second = await api.request('POST', '/v1/tokens', { body: { name: 'ci-bot', role: 'viewer' } });
    expect(second.status).toBe(409);
    expect(second.body.problems.map((p: { field: string }) => p.field)).toEqual(['name']);
    expect((await api.request('DELETE', `/v1/tokens/${first.body.id}`)).status).toBe(200);
    const again = await api.request('POST', '/v1/tokens', { body: { name: 'ci-bot', role: 'viewer' } });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first.body.id);
  });

  it('mints one token per Idempotency-Key; the replay does not show the secret again', async () => {
    const headers = { 'idempotency-key': 'mint-once-1' };
    const first = await api.request('POST', '/v1/tokens', { headers, body: { name: 'once', role: 'viewer' } });
    const retry = await api.request('POST', '/v1/tokens', { headers, body: { name: 'once', role: 'viewer' } });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.id).toBe(first.body.id);
    expect(retry.body.token).toBeUndefined();
    const named = (await api.request('GET', '/v1/tokens')).body.items.filter(
      (t: { name: string }) => t.name === 'once',
    );
    expect(named).toHaveLength(1);
    expect((await api.request('GET', '/v1/hosts', { token: first.body.token })).status).toBe(200);
  });

  it('closes a revoked token’s open event stream', async () => {
    const issued = await api.request('POST', '/v1/tokens', { body: { name: 'stream-watcher', role: 'viewer' } });
    const live = await fetch(`${api.url}/v1/stream?access_token=${issued.body.token}`);
    expect(live.status).toBe(200);
    const reader = live.body!.getReader();
    await reader.read(); // connected
    expect((await api.request('DELETE', `/v1/tokens/${issued.body.id}`)).status).toBe(200);
    let ended = false;
    while (!ended) ended = (await reader.read()).done;
    expect(ended).toBe(true);
    expect((await fetch(`${api.url}/v1/stream?access_token=${issued.body.token}`)).status).toBe(401);
  });

  it('never writes ?access_token= to a log line, on the error path either', async () => {
    const secret = await api.issueToken('viewer', 'log-watcher');
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const level = process.env.FERRY_LOG;
    process.stdout.write = ((chunk: string) => (lines.push(String(chunk)), true)) as typeof process.stdout.write;
    process.env.FERRY_LOG = '';
    const { dataSource } = api.app.get(OPENED_STORE) as OpenedStore;
    try {
      // A real server error on a request whose URL carries the secret: the idempotency table is gone.
      await dataSource.query('ALTER TABLE idempotency_keys RENAME TO idempotency_keys_away');
      const failed = await api.request('POST', `/v1/hosts?access_token=${secret}`, {
        headers: { 'idempotency-key': 'k-log-1' },
        body: {
          id: 'h-log',
          arch: 'x86_64',
          cpuVendor: 'intel',
          memory: '1GiB',
          kernel: '6.8.0',
          iommu: { model: 'none' },
        },
      });
      expect(failed.status).toBe(500);
      const controller = new AbortController();
      const live = await fetch(`${api.url}/v1/stream?access_token=${secret}`, { signal: controller.signal });
      expect(live.status).toBe(200);
      controller.abort();
      expect((await api.request('GET', `/v1/stream?access_token=${secret}&after=x`, { token: null })).status).toBe(400);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await dataSource.query('ALTER TABLE idempotency_keys_away RENAME TO idempotency_keys');
      process.stdout.write = write;
      process.env.FERRY_LOG = level;
    }
    expect(lines.some((line) => line.includes('unhandled error'))).toBe(true);
    expect(lines.filter((line) => line.includes(secret))).toEqual([]);
    // The event stream's session is logged when it opens and when the client hangs up, and counted.
    const entries = lines.map((line) => JSON.parse(line));
    expect(entries.filter((e) => e.msg === 'event stream opened').length).toBeGreaterThanOrEqual(1);
    expect(entries.find((e) => e.msg === 'event stream closed')).toMatchObject({ reason: 'client' });
    expect(entries.find((e) => e.msg === 'request' && e.path === '/v1/stream' && e.status === 200)).toBeDefined();
    const metrics = (await api.request('GET', '/metrics')).body as string;
    expect(metrics).toMatch(/ferry_sse_sessions_total\{ended="client"\} [1-9]/);
    expect(metrics).toMatch(/ferry_sse_sessions_open 0/);
  });

  it('answers in the problem shape when the token lookup itself fails, never with a stack trace', async () => {
    const { dataSource } = api.app.get(OPENED_STORE) as OpenedStore;
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the registry looks at the log again
    await dataSource.query('ALTER TABLE events RENAME TO events_away');
    try {
      const response = await api.request('GET', '/v1/hosts', { token: tokens.viewer });
      expect(response.status).toBeGreaterThanOrEqual(500);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(response.body).toMatchObject({ statusCode: response.status, problems: [] });
      expect(JSON.stringify(response.body)).not.toMatch(/at \S+ \(/);
    } finally {
      await dataSource.query('ALTER TABLE events_away RENAME TO events');
    }
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await api.request('GET', '/v1/hosts', { token: tokens.viewer })).status).toBe(200);
  });

  it('sets security headers', async () => {
    const response = await api.request('GET', '/v1/hosts');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });
});

describe('first start and rate limits', () => {
  it('mints an admin token on the first start of an empty database, prints it once, and never again', async () => {
    const backend = appBackend();
    const printed: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (printed.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      const first = await startApp(backend, { adminToken: undefined });
      await first.close();
      const second = await startApp(backend, { adminToken: undefined });
      const token = /\n {2}(fry_\S+)\n/.exec(printed.join(''))?.[1];
      expect(token).toBeDefined();
      expect(printed.join('').match(/fry_/g)).toHaveLength(1);
      expect((await second.request('GET', '/v1/tokens', { token })).status).toBe(200);
      await second.close();
    } finally {
      process.stdout.write = write;
      await backend.cleanup();
    }
  });

  it('keeps a revoked FERRY_ADMIN_TOKEN revoked across restarts', async () => {
    const backend = appBackend();
    const envToken = 'fry_env_token_one_9f8e7d6c5b4a39281706f5e4d3c2b1a0';
    try {
      const first = await startApp(backend, { adminToken: envToken });
      const spare = await first.request('POST', '/v1/tokens', {
        token: envToken,
        body: { name: 'spare-admin', role: 'admin' },
      });
      const envId = (await first.request('GET', '/v1/tokens', { token: envToken })).body.items.find(
        (t: { name: string }) => t.name === 'admin-from-env',
      ).id;
      expect((await first.request('DELETE', `/v1/tokens/${envId}`, { token: spare.body.token })).status).toBe(200);
      await first.close();
      const second = await startApp(backend, { adminToken: envToken });
      expect((await second.request('GET', '/v1/hosts', { token: envToken })).status).toBe(401);
      expect((await second.request('GET', '/v1/hosts', { token: spare.body.token })).status).toBe(200);
      await second.close();
    } finally {
      await backend.cleanup();
    }
  });

  it('rotating FERRY_ADMIN_TOKEN retires the old value', async () => {
    const backend = appBackend();
    const oldToken = 'fry_env_token_old_0a1b2c3d4e5f60718293a4b5c6d7e8f9';
    const newToken = 'fry_env_token_new_f9e8d7c6b5a40392817f6e5d4c3b2a10';
    try {
      await (await startApp(backend, { adminToken: oldToken })).close();
      const rotated = await startApp(backend, { adminToken: newToken });
      expect((await rotated.request('GET', '/v1/hosts', { token: oldToken })).status).toBe(401);
      expect((await rotated.request('GET', '/v1/hosts', { token: newToken })).status).toBe(200);
      const active = (await rotated.request('GET', '/v1/tokens', { token: newToken })).body.items.filter(
        (t: { name: string; revoked: boolean }) => t.name === 'admin-from-env' && !t.revoked,
      );
      expect(active).toHaveLength(1);
      await rotated.close();
      // Restarting with the same value changes nothing.
      const again = await startApp(backend, { adminToken: newToken });
      expect((await again.request('GET', '/v1/tokens', { token: newToken })).body.items).toHaveLength(2);
      await again.close();
    } finally {
      await backend.cleanup();
    }
  });

  it('authenticates with plain reads: another process holding SQLite’s write lock does not stall it', async () => {
    const backend = sqliteBackend();
    const api = await startApp(backend);
    const other = new Database(backend.config().sqlitePath!);
    try {
      const viewer = await api.issueToken('viewer');
      await api.issueToken('viewer'); // the log moves on: a projection catch-up would now have to write
      await new Promise((resolve) => setTimeout(resolve, 1100)); // the registry's next look at the log
      other.exec('BEGIN IMMEDIATE');
      const read = await api.request('GET', '/v1/tokens', { token: viewer });
      expect(read.status).toBe(403); // authenticated (a viewer), and answered while the lock is held
      expect((await api.request('GET', '/v1/events?limit=1', { token: viewer })).status).toBe(200);
      other.exec('COMMIT');
    } finally {
      other.close();
      await api.close();
      await backend.cleanup();
    }
  });

  it('limits each token’s request rate with 429 and Retry-After', async () => {
    const backend = appBackend();
    const api = await startApp(backend, { rateLimit: 5 });
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await api.request('GET', '/v1/hosts')).status);
    expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
    const limited = await api.request('GET', '/v1/hosts');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await api.close();
    await backend.cleanup();
  });
});
