import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { json, text } from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { setupOpenApi } from './openapi.js';
import { securityHeaders } from './auth/security-headers.js';
import { authenticateFirst, onlyAuthenticated } from './auth/authenticate-first.js';
import { RateLimiter } from './auth/rate-limiter.js';
import { TokenRegistry } from './auth/tokens.js';
import { type AppConfig, JsonLogger } from '@ferry/nest-modules';

/** Builds the HTTP application (used by main.ts and by the e2e tests). */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: process.env.FERRY_LOG === 'silent' ? false : new JsonLogger(),
  });
  // Authentication comes before the body parsers: only a request with a valid token has its body read.
  const failures = new RateLimiter(config.authFailureRate, config.authFailureRate * 2);
  app.use(authenticateFirst(app.get(TokenRegistry), failures));
  app.use(onlyAuthenticated(json({ limit: config.bodyLimit })));
  // Fleet files may be sent as YAML; the controller parses the text.
  app.use(
    onlyAuthenticated(
      text({ limit: config.bodyLimit, type: ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'] }),
    ),
  );
  app.disable('x-powered-by');
  app.use(securityHeaders);
  app.enableShutdownHooks();
  setupOpenApi(app);
  return app;
}
