import { readFileSync } from 'node:fs';
import type { Type } from '@nestjs/common';
import { z } from 'zod';
import { ROLES, satisfies } from '../auth/roles.js';
import { componentName, problemResponse, storedEventResponse } from './responses.js';
import { REQUEST_COMPONENTS } from './requests.js';
import { routeEntries, type RouteEntry } from './route-table.js';
import type { RouteSpec } from './route-spec.js';
import { ERROR_RESPONSES, HEADERS, PARAMETERS, TAGS } from './shared.js';

type Json = Record<string, unknown>;

const apiPackage = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** `/v1/hosts/:id` → `/v1/hosts/{id}` */
export const openApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

const pascal = (id: string) => id[0]!.toUpperCase() + id.slice(1);

/**
 * Every schema an operation names becomes a component; zod writes them with cross-references. Requests
 * and answers alike are described by their schemas' input side: the JSON on the wire ("0x…", "16GiB"),
 * not the parsed values (bigints).
 */
class Schemas {
  private readonly registry = z.registry<{ id: string }>();
  private readonly names = new Map<string, z.ZodType>();

  /** `shared`: schemas nested in several bodies, referenced by name wherever they appear. */
  constructor(shared: readonly z.ZodType[]) {
    for (const schema of shared) this.ref(schema, '');
  }

  ref(schema: z.ZodType, fallbackName: string): Json {
    const existing = this.registry.get(schema)?.id;
    const name = existing ?? componentName(schema) ?? fallbackName;
    if (!existing) {
      if (this.names.has(name)) throw new Error(`two different schemas are both named ${name} in the OpenAPI document`);
      this.names.set(name, schema);
      this.registry.add(schema, { id: name });
    }
    return { $ref: `#/components/schemas/${name}` };
  }

  toJson(): Record<string, Json> {
    const { schemas } = z.toJSONSchema(this.registry, {
      io: 'input',
      unrepresentable: 'any',
      uri: (id) => `#/components/schemas/${id}`,
    }) as { schemas: Record<string, Json> };
    return Object.fromEntries(
      Object.entries(schemas).map(([name, { $schema: _s, $id: _i, ...schema }]) => [name, schema]),
    );
  }
}

function queryParameters(query: z.ZodType): Json[] {
  const schema = z.toJSONSchema(query, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, Json>;
    required?: string[];
  };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: 'query',
      required: schema.required?.includes(name) ?? false,
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

/** `hosts/:id` → "the host's id"; `devices/:deviceId` → "the device's id"; `pools/:pool` → "the pool". */
function pathParameterMeaning(resource: string | undefined, name: string): string {
  if (name === 'id' && resource) return `the ${resource.replace(/s$/, '')}'s id`;
  return name.endsWith('Id') ? `the ${name.slice(0, -2)}'s id` : `the ${name}`;
}

/** The 4xx/5xx statuses a route can answer: derived from what it takes and who may call it, plus its own. */
export function errorStatuses(entry: RouteEntry): number[] {
  const spec = entry.spec!;
  const statuses = new Set<number>(spec.errors ?? []);
  const takesBody = entry.method !== 'GET' && entry.method !== 'HEAD';
  if (spec.body || spec.query || takesBody) statuses.add(400);
  if (takesBody) statuses.add(413);
  if (entry.role !== 'public') {
    statuses.add(401).add(429);
    const needed = entry.role;
    if (ROLES.some((held) => !satisfies(held, needed))) statuses.add(403);
  }
  if (spec.ifMatch) statuses.add(409).add(412);
  if (spec.idempotent) statuses.add(422);
  if (spec.alsoStatus?.status !== 503) statuses.add(503);
  return [...statuses].sort((a, b) => a - b);
}

function roleText(entry: RouteEntry): string {
  if (entry.role === 'public') return 'Public: no token needed.';
  const stream = entry.spec!.response === 'events' ? ' (`?access_token=` also works, for EventSource)' : '';
  return `Requires the **${entry.role}** role (a bearer token${stream}).`;
}

function successContent(spec: RouteSpec, schemas: Schemas): Json {
  if (spec.response === 'text') return { 'text/plain': { schema: { type: 'string' } } };
  if (spec.response === 'events')
    return {
      'text/event-stream': {
        schema: {
          type: 'string',
          description:
            'Server-Sent Events. Each event is `id: <position>`, `event: <type>`, and `data:` one StoredEvent as JSON; ' +
            'lines starting with ":" are comments (keep-alives). Resume with `Last-Event-ID` or `?after=`.',
        },
        example:
          'retry: 2000\n: connected at position 41\n\nid: 42\nevent: HostCordoned\n' +
          'data: {"position":42,"streamId":"host-host-b","streamVersion":3,"type":"HostCordoned",' +
          '"data":{"reason":"maintenance"},"metadata":{"actor":"token:ops"},"recordedAt":"2026-01-01T00:00:00.000Z"}\n\n',
        'x-ferry-event-data': schemas.ref(storedEventResponse, 'StoredEvent'),
      },
    };
  return { 'application/json': { schema: schemas.ref(spec.response, `${pascal(spec.id)}Response`) } };
}

function operation(entry: RouteEntry, schemas: Schemas): Json {
  const spec = entry.spec!;
  const parameters: Json[] = [
    ...[...entry.path.matchAll(/(?:([\w-]+)\/)?:(\w+)/g)].map(([, resource, name]) => ({
      name,
      in: 'path',
      required: true,
      description: spec.params?.[name!] ?? pathParameterMeaning(resource, name!),
      schema: { type: 'string' },
    })),
    ...(spec.query ? queryParameters(spec.query) : []),
    ...(spec.ifMatch ? [{ $ref: '#/components/parameters/IfMatch' }] : []),
    ...(spec.idempotent ? [{ $ref: '#/components/parameters/IdempotencyKey' }] : []),
    ...(entry.method !== 'GET' ? [{ $ref: '#/components/parameters/CorrelationId' }] : []),
    ...(spec.response === 'events' ? [{ $ref: '#/components/parameters/LastEventId' }] : []),
  ];
  const successHeaders: Json = {
    ...(spec.etag ? { ETag: { $ref: '#/components/headers/ETag' } } : {}),
    ...(spec.idempotent ? { 'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' } } : {}),
    ...(spec.location ? { Location: { $ref: '#/components/headers/Location' } } : {}),
  };
  const success = {
    description: spec.summary,
    ...(Object.keys(successHeaders).length ? { headers: successHeaders } : {}),
    content: successContent(spec, schemas),
  };
  const responsesJson: Json = { [String(spec.status ?? 200)]: success };
  if (spec.alsoStatus)
    responsesJson[String(spec.alsoStatus.status)] = { ...success, description: spec.alsoStatus.when };
  for (const status of errorStatuses(entry)) responsesJson[String(status)] ??= { $ref: ERROR_RESPONSES[status] };
  let requestBody: Json | undefined;
  if (spec.body) {
    const json = { schema: schemas.ref(spec.body, `${pascal(spec.id)}Request`), example: spec.example };
    requestBody = {
      required: !spec.bodyOptional,
      content: {
        'application/json': json,
        ...(spec.yaml
          ? { 'application/yaml': { schema: { type: 'string', description: 'the same document as YAML' } } }
          : {}),
      },
    };
  }
  return {
    operationId: spec.id,
    tags: [spec.tag],
    summary: spec.summary,
    description: [spec.description, roleText(entry)].filter(Boolean).join('\n\n'),
    'x-ferry-role': entry.role,
    security:
      entry.role === 'public'
        ? []
        : spec.response === 'events'
          ? [{ bearer: [] }, { accessToken: [] }]
          : [{ bearer: [] }],
    ...(parameters.length ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: responsesJson,
  };
}

/** The OpenAPI 3.1 document of every route that carries an @ApiRoute, built from the controllers' own metadata. */
export function buildOpenApiDocument(controllers: readonly Type[]): Json {
  const schemas = new Schemas([...REQUEST_COMPONENTS, problemResponse]);
  const paths: Record<string, Record<string, Json>> = {};
  const operationIds = new Set<string>();
  const tags = new Set<string>();
  for (const entry of routeEntries(controllers)) {
    if (!entry.spec) continue;
    if (operationIds.has(entry.spec.id)) throw new Error(`operationId ${entry.spec.id} is used twice`);
    operationIds.add(entry.spec.id);
    tags.add(entry.spec.tag);
    (paths[openApiPath(entry.path)] ??= {})[entry.method.toLowerCase()] = operation(entry, schemas);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Ferry',
      version: apiPackage.version,
      summary: 'IOMMU-aware live-migration orchestrator for VM fleets',
      description:
        'Records hosts, guests, IOMMU reserved regions and device policies as events; plans migrations and ' +
        'hot-plugs with every conflict and its evidence; executes them through a job queue.\n\n' +
        'Addresses are "0x…" hex strings; ranges have inclusive ends. Errors are ' +
        '`{statusCode, error, message, problems: [{field, message}]}`. Reads carry `ETag: "<stream version>"`; ' +
        'writes honour `If-Match`; POSTs honour `Idempotency-Key`. Every operation states its role in `x-ferry-role`: ' +
        'viewer < operator < admin.',
      // npm's word for "no license granted": the package declares none yet.
      license: { name: 'UNLICENSED' },
    },
    servers: [{ url: '/', description: 'the Ferry API that serves this document' }],
    security: [{ bearer: [] }],
    tags: [...tags].sort().map((name) => ({ name, description: TAGS[name] ?? name })),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token (`fry_…`), issued by POST /v1/tokens.' },
        accessToken: {
          type: 'apiKey',
          in: 'query',
          name: 'access_token',
          description:
            'The same token as a query parameter: only GET /v1/stream takes it (EventSource sends no headers).',
        },
      },
      schemas: schemas.toJson(),
      responses: Object.fromEntries(
        Object.entries(ERROR_RESPONSES).map(([status, ref]) => [ref.split('/').at(-1)!, errorResponse(Number(status))]),
      ),
      parameters: PARAMETERS,
      headers: HEADERS,
    },
  };
}

function errorResponse(status: number): Json {
  const retry = status === 429 || status === 503;
  return {
    description: ERROR_DESCRIPTIONS[status],
    headers: {
      ...(retry ? { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } : {}),
      ...(status === 401 ? { 'WWW-Authenticate': { $ref: '#/components/headers/WWWAuthenticate' } } : {}),
    },
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad input: `problems` names every field at fault; nothing was written',
  401: 'No token, or an unknown or revoked one',
  403: "The token's role is too low for this route",
  404: 'An unknown id in the path or the body',
  409: 'A duplicate, a blocked plan (`conflicts` lists every conflict), or another writer won the race',
  412: '`If-Match` names a version that is no longer current',
  413: 'The body is larger than the server accepts (FERRY_BODY_LIMIT)',
  422: 'This `Idempotency-Key` was already used for a different request',
  429: 'Too many requests for this token: wait `Retry-After` seconds',
  503: 'The database (or Redis) is not reachable: retry after `Retry-After`, with the same `Idempotency-Key`',
};
