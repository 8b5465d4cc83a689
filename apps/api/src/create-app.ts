import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config.js';
import { setupOpenApi } from './openapi.js';
import { JsonLogger } from './observability/json-logger.js';
import { securityHeaders } from './auth/security-headers.js';

/** Builds the HTTP application (used by main.ts and by the e2e tests). */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: process.env.FERRY_LOG === 'silent' ? false : new JsonLogger(),
  });
  app.useBodyParser('json', { limit: config.bodyLimit });
  // Fleet files may be sent as YAML; the controller parses the text.
  app.useBodyParser('text', {
    limit: config.bodyLimit,
    type: ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'],
  });
  app.disable('x-powered-by');
  app.use(securityHeaders);
  app.enableShutdownHooks();
  setupOpenApi(app);
  return app;
}
