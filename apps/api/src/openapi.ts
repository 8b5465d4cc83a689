import type { INestApplication, Type } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { buildOpenApiDocument } from './openapi/document.js';

/** Every controller the application registered, in every module. */
export function controllersOf(app: INestApplication): Type[] {
  return [...app.get(ModulesContainer).values()].flatMap((module) =>
    [...module.controllers.values()].map((wrapper) => wrapper.metatype as Type),
  );
}

/** The document `GET /docs/openapi.json` serves: built from the routes' own @ApiRoute, @Requires and zod schemas. */
export function openApiDocumentOf(app: INestApplication): OpenAPIObject {
  return buildOpenApiDocument(controllersOf(app)) as unknown as OpenAPIObject;
}

export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, openApiDocumentOf(app), { jsonDocumentUrl: 'docs/openapi.json' });
}
