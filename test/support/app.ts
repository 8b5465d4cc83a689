import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { createApp } from '../../apps/api/src/create-app.js';
import { configFromEnv, type AppConfig } from '../../apps/api/src/config.js';
import type { TestBackend } from './backends.js';

export interface RunningApp {
  url: string;
  app: INestApplication;
  close(): Promise<void>;
  request(method: string, path: string, options?: { body?: unknown; yaml?: string; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: any }>;
}

process.env.FERRY_LOG ??= 'silent';

export async function startApp(backend: TestBackend, overrides: Partial<AppConfig> = {}): Promise<RunningApp> {
  const store = backend.config();
  const app = await createApp({
    // Embedded defaults (no Redis: in-process queue and workers), short leases so tests see crashes quickly.
    ...configFromEnv({}),
    leaseMs: 3_000,
    port: 0,
    host: '127.0.0.1',
    databaseUrl: store.databaseUrl,
    databaseSchema: store.schema,
    sqlitePath: store.sqlitePath ?? ':memory:',
    bodyLimit: '32mb',
    ...overrides,
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    app,
    close: () => app.close(),
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
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
}
