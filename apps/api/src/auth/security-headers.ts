import type { NextFunction, Request, Response } from 'express';

/** The usual hardening headers; API answers are never cached, the dashboard may only load itself. */
export function securityHeaders(request: Request, response: Response, next: NextFunction): void {
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  if (request.path.startsWith('/v1/') || request.path === '/metrics') response.setHeader('Cache-Control', 'no-store');
  if (request.path.startsWith('/dashboard')) {
    response.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
    );
  }
  next();
}
