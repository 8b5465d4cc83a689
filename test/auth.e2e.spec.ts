// Authentication and roles on every route, checked by walking the router's own route table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appBackend, type TestBackend } from './support/backends.js';
import { startApp, type RunningApp } from './support/app.js';

type Role = 'public' | 'viewer' | 'operator' | 'admin' | 'agent';

/** What each route needs. A route missing here fails the test: new routes must decide. */
const EXPECTED: Record<string, Role> = {
  'POST /v1/fleet': 'admin',
  'POST /v1/hosts': 'admin',
  'GET /v1/hosts': 'viewer',
  'GET /v1/hosts/:id': 'viewer',
  'PATCH /v1/hosts/:id': 'admin',
  'POST /v1/hosts/:id/cordon': 'admin',
  'POST /v1/hosts/:id/uncordon': 'admin',
  'POST /v1/hosts/:id/evacuate': 'operator',
  'POST /v1/guests': 'admin',
  'GET /v1/guests': 'viewer',
  'GET /v1/guests/:id': 'viewer',
  'GET /v1/guests/:id/destinations': 'viewer',
  'POST /v1/guests/:id/devices': 'admin',
  'DELETE /v1/guests/:id/devices/:deviceId': 'admin',
  'PUT /v1/guests/:id/devices/:deviceId/iommu-policy': 'admin',
  'POST /v1/guests/:id/hotplug-reservations': 'admin',
  'DELETE /v1/guests/:id/hotplug-reservations/:reservationId': 'admin',
  'GET /v1/machine-defaults': 'viewer',
  'PUT /v1/machine-defaults': 'admin',
  'GET /v1/events': 'viewer',
  'GET /v1/streams/:streamId': 'viewer',
  'GET /v1/stream': 'viewer',
  'POST /v1/plans/hotplug': 'operator',
  'POST /v1/plans/migration': 'operator',
  'POST /v1/pools/:pool/memory-layout': 'operator',
  'GET /v1/conflicts': 'viewer',
  'GET /v1/conflicts/cell': 'viewer',
  'POST /v1/migrations': 'operator',
  'GET /v1/migrations': 'viewer',
  'GET /v1/migrations/:id': 'viewer',
  'POST /v1/migrations/:id/cancel': 'operator',
  'POST /v1/hotplugs': 'operator',
  'GET /v1/hotplugs': 'viewer',
  'GET /v1/hotplugs/:id': 'viewer',
  'GET /v1/evacuations/:id': 'viewer',
  'GET /v1/pools/:pool/migration-policy': 'viewer',
  'PUT /v1/pools/:pool/migration-policy': 'operator',
  'POST /v1/tokens': 'admin',
  'GET /v1/tokens': 'admin',
  'DELETE /v1/tokens/:id': 'admin',
  'PUT /v1/hosts/:id/agent-report': 'agent',
  'POST /v1/hosts/:id/heartbeat': 'agent',
  'POST /v1/hosts/:id/migration-gate': 'agent',
  'GET /metrics': 'viewer',
  'GET /health': 'public',
};
const RANK: Record<Exclude<Role, 'agent'>, number> = { public: -1, viewer: 0, operator: 1, admin: 2 };

/** The ladder for viewer/operator/admin; agent routes take only an agent bound to the host (or an admin). */
function allowed(role: 'viewer' | 'operator' | 'admin', needed: Role): boolean {
  if (needed === 'agent') return role === 'admin';
  return RANK[role] >= RANK[needed];
}

/** Every method + path the HTTP server routes, read from express's own router. */
function routeTable(api: RunningApp): string[] {
  const express = api.app.getHttpAdapter().getInstance();
  const stack = (express.router ?? express._router).stack as Array<{
    route?: { path: string; methods: Record<string, boolean> };
  }>;
  return stack
    .filter(
      (layer) => layer.route && !layer.route.path.startsWith('/docs') && !layer.route.path.startsWith('/dashboard'),
    )
    .flatMap((layer) =>
      Object.keys(layer.route!.methods)
        .filter((m) => m !== '_all')
        .map((m) => `${m.toUpperCase()} ${layer.route!.path}`),
    );
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
    const routes = routeTable(api);
    expect(routes.length).toBeGreaterThan(35);
    expect(routes.filter((r) => !(r in EXPECTED))).toEqual([]);
  });

  it('answers 401 without a token and 403 for a role that is too low, on every route', async () => {
    const checked: string[] = [];
    for (const route of routeTable(api)) {
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

  it('records the token’s name as the actor of every event it writes', async () => {
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
    expect(stream.body.events[0].metadata.actor).toBe('token:admin-from-env');
    const plan = await api.request('POST', '/v1/plans/migration', {
      token: tokens.operator,
      body: { guestId: 'nobody', destinationHostId: 'h-actor' },
    });
    expect(plan.status).toBe(404);
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
