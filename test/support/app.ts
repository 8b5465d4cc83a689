import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { createApp } from '../../apps/api/src/create-app.js';
import type { TestBackend } from './backends.js';
import { configFromEnv, type AppConfig } from '@ferry/nest-modules';

/** Registered as an admin token in every test app (FERRY_ADMIN_TOKEN). */
export const TEST_ADMIN_TOKEN = 'fry_test_admin_token_do_not_use_outside_tests_0001';

export interface RunningApp {
  url: string;
  /** The admin token `request` sends unless told otherwise. */
  token: string;
  /** Issues a token with this role and returns its secret. */
  issueToken(role: 'viewer' | 'operator' | 'admin', name?: string): Promise<string>;
  app: INestApplication;
  close(): Promise<void>;
  /** `token: null` sends no Authorization header; a string sends that token instead of the admin's. */
  request(
    method: string,
    path: string,
    options?: { body?: unknown; yaml?: string; headers?: Record<string, string>; token?: string | null },
  ): Promise<{ status: number; headers: Headers; body: any }>;
}

process.env.FERRY_LOG ??= 'silent';

export async function startApp(backend: TestBackend, overrides: Partial<AppConfig> = {}): Promise<RunningApp> {
  const store = backend.config();
  const app = await createApp({
    // Embedded defaults (no Redis: in-process queue and workers), short leases so tests see crashes quickly.
    ...configFromEnv({}),
    leaseMs: 3_000,
    adminToken: TEST_ADMIN_TOKEN,
    rateLimit: 100_000,
    authFailureRate: 100_000,
    port: 0,
    host: '127.0.0.1',
    databaseUrl: store.databaseUrl,
    databaseSchema: store.schema,
    sqlitePath: store.sqlitePath ?? ':memory:',
    bodyLimit: '32mb',
    ...overrides,
  });
  await app.listen(overrides.port ?? 0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const running: RunningApp = {
    url,
    app,
    token: TEST_ADMIN_TOKEN,
    close: () => app.close(),
    async issueToken(role, name = `test-${role}-${Math.random().toString(36).slice(2, 8)}`) {
      const issued = await running.request('POST', '/v1/tokens', { body: { name, role } });
      if (issued.status !== 201) throw new Error(`could not issue a ${role} token: ${JSON.stringify(issued.body)}`);
      return issued.body.token as string;
    },
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const token = options.token === undefined ? TEST_ADMIN_TOKEN : options.token;
      if (token !== null && !headers.authorization) headers.authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (options.yaml !== undefined) {
        headers['content-type'] = 'application/yaml';
        body = options.yaml;
      } else if (options.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      }
      const response = await fetch(url + path, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON (e.g. the docs page)
      }
      return { status: response.status, headers: response.headers, body: parsed };
    },
  };
  return running;
}
