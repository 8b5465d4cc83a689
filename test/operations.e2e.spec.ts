import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appBackend, type TestBackend } from './support/backends.js';
import { startApp, type RunningApp } from './support/app.js';
import { waitFor } from './support/wait-for.js';

const armExample = readFileSync(new URL('../examples/fleet-arm-migrate-then-hotplug.yaml', import.meta.url), 'utf8');
const metric = (text: string, name: string, labels = '') =>
  Number(new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);

describe('operations', () => {
  let backend: TestBackend;
  let api: RunningApp;
  beforeAll(async () => {
    backend = appBackend();
    api = await startApp(backend);
    await api.request('POST', '/v1/fleet', { yaml: armExample });
  });
  afterAll(async () => {
    await api.close();
    await backend.cleanup();
  });

  it('serves Prometheus metrics: migrations by state, durations, downtime, queue depth, conflicts, append latency', async () => {
    await api.request('POST', '/v1/fleet', {
      yaml: armExample.replace(
        'hotplugReservations:\n      - { kind: vfio, deviceClass: network }',
        'hotplugReservations: []',
      ),
    });
    const submitted = await api.request('POST', '/v1/migrations', {
      body: { guestId: 'vm-1', destinationHostId: 'host-b' },
    });
    expect(submitted.status).toBe(202);
    await waitFor(
      () => api.request('GET', `/v1/migrations/${submitted.body.id}`).then((r) => r.body.state),
      (state) => state === 'completed',
      10_000,
    );
    const response = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${api.token}` } });
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(metric(text, 'ferry_migrations', '{state="completed"}')).toBe(1);
    expect(metric(text, 'ferry_migrations', '{state="failed"}')).toBe(0);
    expect(metric(text, 'ferry_migration_duration_seconds_count')).toBe(1);
    expect(metric(text, 'ferry_migration_downtime_seconds_count')).toBe(1);
    expect(metric(text, 'ferry_event_store_append_seconds_count')).toBeGreaterThan(3);
    expect(text).toMatch(/^ferry_queue_jobs\{queue="migrations",state="waiting"\} 0$/m);
    expect(metric(text, 'ferry_conflicts', '{code="ARCH_MISMATCH"}')).toBeNaN(); // no x86 host here
    expect(text).toMatch(/^ferry_http_requests_total\{method="POST",route="\/v1\/migrations",status="202"\} 1$/m);
  });

  it('echoes or issues a correlation id and records it in the events the request writes', async () => {
    const given = await api.request('POST', '/v1/hosts/host-a/cordon', {
      body: {},
      headers: { 'x-correlation-id': 'ticket-123' },
    });
    expect(given.headers.get('x-correlation-id')).toBe('ticket-123');
    const stream = await api.request('GET', '/v1/streams/host-host-a');
    expect(stream.body.events.at(-1).metadata.correlationId).toBe('ticket-123');
    const issued = await api.request('GET', '/v1/hosts');
    expect(issued.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports health with the database check', async () => {
    const health = await api.request('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', database: { status: 'up', kind: backend.name } });
  });
});

describe('health when Redis is configured but unreachable', () => {
  it('answers 503 and names Redis', async () => {
    const backend = appBackend();
    const api = await startApp(backend, { redisUrl: 'redis://127.0.0.1:1', runWorkers: false });
    const health = await api.request('GET', '/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'down', database: { status: 'up' }, redis: { status: 'down' } });
    await api.close();
    await backend.cleanup();
  });
});
