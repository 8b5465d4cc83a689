// The OpenAPI document against the server that serves it: every routed method and path documented (and
// nothing else), each with the role the auth table expects, examples its own schemas accept, and real
// answers that match the documented statuses and schemas.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZodType } from 'zod';
import { controllersOf } from '../apps/api/src/openapi.js';
import { routeEntries, type RouteEntry } from '../apps/api/src/openapi/route-table.js';
import { problemResponse } from '../apps/api/src/openapi/responses.js';
import { fleetExample, guestExample, hostExample } from '../apps/api/src/openapi/examples.js';
import { agentReportExample } from '../apps/api/src/agents/agent-openapi.js';
import { appBackend, type TestBackend } from './support/backends.js';
import { startApp, type RunningApp } from './support/app.js';
import { routeTable } from './support/route-table.js';
import { EXPECTED } from './support/route-roles.js';

type Operation = {
  operationId: string;
  tags: string[];
  description: string;
  'x-ferry-role': string;
  security: Array<Record<string, string[]>>;
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, { $ref?: string; headers?: Record<string, unknown>; content?: Record<string, unknown> }>;
};
type Document = {
  info: { license?: { name: string }; version: string };
  servers: Array<{ url: string }>;
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, Operation>>;
};

/** "GET /v1/hosts/:id" for each documented operation. */
const documentedRoutes = (doc: Document) =>
  new Map(
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => [
        `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
        op,
      ]),
    ),
  );

const issues = (schema: ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
};

describe('the OpenAPI document', () => {
  let backend: TestBackend;
  let api: RunningApp;
  let doc: Document;
  let entries: RouteEntry[];
  const entryOf = (route: string) => entries.find((e) => `${e.method} ${e.path}` === route);

  beforeAll(async () => {
    backend = appBackend();
    api = await startApp(backend);
    const served = await api.request('GET', '/docs/openapi.json', { token: null });
    expect(served.status).toBe(200);
    doc = served.body;
    entries = routeEntries(controllersOf(api.app));
  });
  afterAll(async () => {
    await api?.close();
    await backend?.cleanup();
  });

  it('documents every route the server has, with its method and path, and nothing it does not have', () => {
    const live = new Set(routeTable(api.app));
    const documented = documentedRoutes(doc);
    expect(live.size).toBeGreaterThan(35);
    const missing = [...live]
      .filter((route) => !documented.has(route))
      .map(
        (route) =>
          `${route} is served but not documented: add @ApiRoute({ id, tag, summary, response, … }) above ` +
          `${entryOf(route)?.handler ?? 'its handler'} (apps/api/src/openapi/route-spec.ts says what each field means), ` +
          'give it its role in test/support/route-roles.ts, then run `npm run generate:api-types`',
      );
    const phantom = [...documented.keys()]
      .filter((route) => !live.has(route))
      .map((route) => `${route} is documented but the server does not route it: fix or remove its @ApiRoute`);
    expect([...missing, ...phantom]).toEqual([]);
  });

  it('states on every operation the role the auth test expects, in x-ferry-role, the description and security', () => {
    const wrong: string[] = [];
    for (const [route, op] of documentedRoutes(doc)) {
      const expected = EXPECTED[route];
      if (op['x-ferry-role'] !== expected)
        wrong.push(`${route}: x-ferry-role ${op['x-ferry-role']}, expected ${expected}`);
      if (expected === 'public') {
        if (op.security.length !== 0) wrong.push(`${route}: public but lists security`);
      } else {
        if (!op.description.includes(`**${expected}** role`))
          wrong.push(`${route}: description does not name ${expected}`);
        if (!op.security.some((s) => 'bearer' in s)) wrong.push(`${route}: no bearer security`);
        if (!op.responses['401'] || !op.responses['429']) wrong.push(`${route}: 401 or 429 not documented`);
      }
      // A route that needs more than viewer refuses the lesser roles with 403, and says so.
      if ((expected === 'operator' || expected === 'admin') && !op.responses['403'])
        wrong.push(`${route}: 403 not documented`);
    }
    expect(wrong).toEqual([]);
  });

  it('has unique camelCase operationIds, a tag on every operation, servers, a license and a version', () => {
    const ops = [...documentedRoutes(doc).values()];
    const ids = ops.map((op) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => !/^[a-z][a-zA-Z0-9]+$/.test(id))).toEqual([]);
    const tagNames = doc.tags.map((t) => t.name);
    expect(ops.filter((op) => op.tags.length !== 1 || !tagNames.includes(op.tags[0]!))).toEqual([]);
    expect(doc.servers.length).toBeGreaterThan(0);
    expect(doc.info.license?.name).toBeTruthy();
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('documents the event stream as text/event-stream whose data is a StoredEvent', () => {
    const stream = doc.paths['/v1/stream']!.get!;
    const content = stream.responses['200']!.content!['text/event-stream'] as Record<string, unknown>;
    expect(content).toBeDefined();
    expect(content['x-ferry-event-data']).toEqual({ $ref: '#/components/schemas/StoredEvent' });
    expect(stream.security).toEqual([{ bearer: [] }, { accessToken: [] }]);
  });

  it('gives every request body an example that the schema validating that body accepts', () => {
    const withBody = entries.filter((e) => e.spec?.body);
    expect(withBody.length).toBeGreaterThan(15);
    const problems = withBody.flatMap((entry) => {
      const route = `${entry.method} ${entry.path}`;
      if (entry.spec!.example === undefined) return [`${route}: no example`];
      const served = documentedRoutes(doc).get(route)?.requestBody?.content['application/json']?.example;
      if (JSON.stringify(served) !== JSON.stringify(entry.spec!.example)) return [`${route}: example not served`];
      return issues(entry.spec!.body!, entry.spec!.example).map((issue) => `${route}: ${issue}`);
    });
    expect(problems).toEqual([]);
  });

  it('rejects an example that breaks its schema (the check above can fail)', () => {
    const register = entryOf('POST /v1/hosts')!.spec!;
    expect(issues(register.body!, { ...hostExample, memory: 'lots' })).not.toEqual([]);
  });

  it('answers with the documented statuses, headers and schemas', async () => {
    const viewer = await api.issueToken('viewer', 'openapi-viewer');
    const failures: string[] = [];
    const covered = new Set<string>();
    const call = async (
      route: string,
      params: Record<string, string> = {},
      options: Parameters<RunningApp['request']>[2] & { query?: string } = {},
    ) => {
      const [method, template] = route.split(' ') as [string, string];
      const path = template.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name]!));
      const response = await api.request(method, path + (options.query ?? ''), options);
      covered.add(route);
      const op = documentedRoutes(doc).get(route);
      const spec = entryOf(route)?.spec;
      if (!op || !spec) {
        failures.push(`${route}: not documented`);
        return response;
      }
      const documented = op.responses[String(response.status)];
      if (!documented) failures.push(`${route} answered ${response.status}, which the document does not list`);
      if (response.status < 300) {
        if (typeof spec.response !== 'string')
          failures.push(...issues(spec.response, response.body).map((i) => `${route} ${response.status}: ${i}`));
        for (const header of ['ETag', 'Location'])
          if (documented?.headers?.[header] && !response.headers.get(header))
            failures.push(`${route}: ${header} documented but not sent`);
      } else {
        failures.push(...issues(problemResponse, response.body).map((i) => `${route} ${response.status} body: ${i}`));
      }
      return response;
    };

    const hostC = { ...fleetExample.hosts[0], id: 'host-c' };
    await call('POST /v1/fleet', {}, { body: fleetExample });
    await call('POST /v1/hosts', {}, { body: hostC });
    await call('POST /v1/hosts', {}, { body: hostC }); // 409: exists
    await call('POST /v1/hosts', {}, { body: { id: 'bad' } }); // 400
    await call('GET /v1/hosts', {}, { query: '?pool=rack-7' });
    await call('GET /v1/hosts/:id', { id: 'host-a' });
    await call('GET /v1/hosts/:id', { id: 'nope' }); // 404
    await call('PATCH /v1/hosts/:id', { id: 'host-c' }, { body: { kernel: '6.9.0' } });
    await call('PATCH /v1/hosts/:id', { id: 'host-c' }, { body: { kernel: '6.9.1' }, headers: { 'if-match': '"1"' } }); // 412
    await call('POST /v1/hosts/:id/cordon', { id: 'host-b' }, { body: { reason: 'test' } });
    await call('POST /v1/hosts/:id/uncordon', { id: 'host-b' });
    await call('POST /v1/guests', {}, { body: { ...guestExample, id: 'vm-2', host: 'host-c' } });
    await call('GET /v1/guests');
    await call('GET /v1/guests/:id', { id: 'vm-1' });
    await call('POST /v1/guests/:id/devices', { id: 'vm-1' }, { body: { id: 'disk9', kind: 'virtio-blk' } });
    await call(
      'PUT /v1/guests/:id/devices/:deviceId/iommu-policy',
      { id: 'vm-1', deviceId: 'disk9' },
      { body: { iommuPlatform: true } },
    );
    await call('DELETE /v1/guests/:id/devices/:deviceId', { id: 'vm-1', deviceId: 'disk9' });
    const reservation = { id: 'gpu-9', kind: 'vfio', deviceClass: 'gpu' };
    await call('POST /v1/guests/:id/hotplug-reservations', { id: 'vm-1' }, { body: reservation });
    await call('DELETE /v1/guests/:id/hotplug-reservations/:reservationId', { id: 'vm-1', reservationId: 'gpu-9' });
    await call('GET /v1/machine-defaults');
    const keyed = { headers: { 'idempotency-key': 'openapi-md-1' } };
    await call('PUT /v1/machine-defaults', {}, { ...keyed, body: { machineDefaults: fleetExample.machineDefaults } });
    const replay = await call(
      'PUT /v1/machine-defaults',
      {},
      { ...keyed, body: { machineDefaults: fleetExample.machineDefaults } },
    );
    if (replay.headers.get('idempotent-replayed') !== 'true') failures.push('PUT /v1/machine-defaults: no replay');
    await call('PUT /v1/machine-defaults', {}, { ...keyed, body: { machineDefaults: [] } }); // 422
    await call('GET /v1/events', {}, { query: '?after=0&limit=5' });
    await call('GET /v1/streams/:streamId', { streamId: 'host-host-a' });
    await call('POST /v1/plans/migration', {}, { body: { guestId: 'vm-1', destinationHostId: 'host-b' } });
    await call(
      'POST /v1/plans/hotplug',
      {},
      { body: { guestId: 'vm-1', device: { kind: 'vfio', deviceClass: 'network' } } },
    );
    await call('GET /v1/guests/:id/destinations', { id: 'vm-1' });
    await call('POST /v1/pools/:pool/memory-layout', { pool: 'rack-7' });
    await call('GET /v1/conflicts', {}, { query: '?limit=5' });
    await call('GET /v1/conflicts/cell', {}, { query: '?guest=vm-1&host=host-b' });
    await call('GET /v1/conflicts/summary', {}, { query: '?groupBy=pool' });
    await call(
      'PUT /v1/pools/:pool/migration-policy',
      { pool: 'rack-7' },
      { body: { policy: { downtimeLimitMs: 400 } } },
    );
    await call('GET /v1/pools/:pool/migration-policy', { pool: 'rack-7' });
    await call('GET /v1/pools/:pool/migration-policy', { pool: 'Not A Pool' }); // 400
    const blocked = await call('POST /v1/migrations', {}, { body: { guestId: 'vm-1', destinationHostId: 'host-b' } });
    if (blocked.status !== 409 || !blocked.body.conflicts?.length)
      failures.push('a blocked migration is not a 409 with conflicts');
    const migration = await call('POST /v1/migrations', {}, { body: { guestId: 'vm-1', destinationHostId: 'host-c' } });
    await call('GET /v1/migrations', {}, { query: '?state=requested,running,completed' });
    await call('GET /v1/migrations/:id', { id: migration.body.id });
    await call('POST /v1/migrations/:id/cancel', { id: migration.body.id });
    const hotplug = await call(
      'POST /v1/hotplugs',
      {},
      { body: { guestId: 'vm-1', device: { id: 'net9', kind: 'virtio-net' } } },
    );
    await call('GET /v1/hotplugs');
    await call('GET /v1/hotplugs/:id', { id: hotplug.body.id });
    const evacuation = await call('POST /v1/hosts/:id/evacuate', { id: 'host-c' }, { body: { reason: 'test' } });
    await call('GET /v1/evacuations/:id', { id: evacuation.body.id });
    await call('GET /v1/evacuations/:id', { id: 'nope' }); // 404
    const token = await call('POST /v1/tokens', {}, { body: { name: 'openapi-temp', role: 'viewer' } });
    await call('GET /v1/tokens');
    await call('GET /v1/tokens', {}, { token: viewer }); // 403
    await call('GET /v1/tokens', {}, { token: null }); // 401
    await call('DELETE /v1/tokens/:id', { id: token.body.id });
    // Agent routes (the admin token may call them too).
    await call('PUT /v1/hosts/:id/agent-report', { id: 'host-a' }, { body: { facts: { bad: 1 }, domains: [] } }); // 400
    await call('POST /v1/hosts/:id/heartbeat', { id: 'host-a' });
    await call('POST /v1/hosts/:id/heartbeat', { id: 'nope' }); // 404
    await call(
      'POST /v1/hosts/:id/migration-gate',
      { id: 'host-a' },
      { body: { domain: { uuid: '3c9e4a52-8d0f-4f0e-9a43-6a1d2b7c9e01' } } },
    );
    await call('PUT /v1/hosts/:id/agent-report', { id: 'host-agent' }, { body: agentReportExample });
    await call('GET /metrics');
    await call('GET /health', {}, { token: null });

    expect(failures).toEqual([]);
    // The stream is checked above by its shape; every other route is called here (any documented status will do).
    const uncalled = [...live()].filter((route) => !covered.has(route) && route !== 'GET /v1/stream');
    expect(uncalled, 'call each of these in this test, so its answers are checked against its document').toEqual([]);
  });

  function live() {
    return new Set(routeTable(api.app));
  }

  it('keeps the CLI’s generated types equal to a fresh generation from the served document', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-openapi-'));
    try {
      writeFileSync(join(dir, 'openapi.json'), JSON.stringify(doc, null, 2));
      execFileSync(
        process.execPath,
        ['node_modules/openapi-typescript/bin/cli.js', join(dir, 'openapi.json'), '-o', join(dir, 'ferry-api.ts')],
        { stdio: 'pipe' },
      );
      const fresh = readFileSync(join(dir, 'ferry-api.ts'), 'utf8');
      const committed = readFileSync(new URL('../apps/cli/src/generated/ferry-api.ts', import.meta.url), 'utf8');
      expect(
        committed === fresh,
        'apps/cli/src/generated/ferry-api.ts is stale: run `npm run generate:api-types`',
      ).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
