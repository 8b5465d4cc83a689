import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Get, NotFoundException, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Public } from '../auth/roles.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

// The page loads only its own files and talks only to this API: the policy makes that a fact.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/**
 * tsc copies no static files: from dist/ the page is read from src/ beside it (the source tree ships
 * in the image too), so there is no build step for the page.
 */
function staticDir(): string {
  const here = fileURLToPath(new URL('./static/', import.meta.url));
  if (existsSync(here)) return here;
  return here.replace(/([\\/])dist([\\/])dashboard([\\/])static/, '$1src$2dashboard$3static');
}

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * Serves the read-only dashboard at /dashboard: a few plain ES modules that call the v1 API. The files
 * are public (a browser cannot send a token for them); the API calls they make carry the viewer's.
 */
@Public()
@Controller('dashboard')
export class DashboardController {
  private readonly assets = new Map<string, Asset>();

  constructor() {
    // Only files present at start are served, by exact name: no path ever reaches the filesystem.
    const dir = staticDir();
    for (const name of readdirSync(dir)) {
      const type = TYPES[extname(name)];
      if (!type || !/^[\w.-]+$/.test(name)) continue;
      const body = readFileSync(join(dir, name));
      this.assets.set(name, {
        body,
        type,
        etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`,
      });
    }
  }

  @Get()
  index(@Req() request: Request, @Res() response: Response): void {
    // Relative asset URLs need the trailing slash; /dashboard → /dashboard/.
    const path = request.originalUrl.split('?')[0]!;
    if (!path.endsWith('/')) return response.redirect(301, `${path}/`);
    this.send('index.html', request, response);
  }

  @Get(':file')
  file(@Param('file') file: string, @Req() request: Request, @Res() response: Response): void {
    this.send(file, request, response);
  }

  private send(name: string, request: Request, response: Response): void {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException(`no dashboard file ${name}`);
    response.setHeader('Content-Type', asset.type);
    response.setHeader('ETag', asset.etag);
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Referrer-Policy', 'no-referrer');
    if (asset.type.startsWith('text/html')) response.setHeader('Content-Security-Policy', CSP);
    if (request.headers['if-none-match'] === asset.etag) {
      response.status(304).end();
      return;
    }
    response.status(200).end(asset.body);
  }
}
