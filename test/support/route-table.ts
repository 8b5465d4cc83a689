import type { INestApplication } from '@nestjs/common';

/** Every method + path the HTTP server routes ("GET /v1/hosts/:id"), read from express's own router. */
export function routeTable(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance();
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
