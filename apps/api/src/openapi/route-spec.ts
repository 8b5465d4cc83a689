import { SetMetadata } from '@nestjs/common';
import type { ZodType } from 'zod';

/**
 * What the OpenAPI document says about one route, declared once above its handler. The zod schemas
 * here are the ones the handler validates with; the role is the @Requires the guard enforces; the
 * statuses every route shares (401, 403, 413, 429, 503, and 400 for anything with input) are derived.
 */
export interface RouteSpec {
  /** The operationId: camelCase, unique, never renamed (generated clients are built on it). */
  id: string;
  /** The resource, e.g. "hosts": the document's tag. */
  tag: string;
  summary: string;
  description?: string;
  /** The JSON body, validated with this schema; `example` must pass it (a test checks). */
  body?: ZodType;
  example?: unknown;
  /** The body may be left out (the schema's defaults apply). */
  bodyOptional?: boolean;
  /** The fleet file also comes as YAML text. */
  yaml?: boolean;
  /** Query parameters: a zod object, each property one parameter. */
  query?: ZodType;
  /** Path parameters, by name, with what they mean. */
  params?: Record<string, string>;
  /** Success: status (200 unless given) and body schema; `text` for plain text, `events` for SSE. */
  status?: 200 | 201 | 202;
  /** One more status with the same body, and when it happens (a cancel that ends at once: 200, else 202). */
  alsoStatus?: { status: 200 | 202 | 503; when: string };
  response: ZodType | 'text' | 'events';
  /** Statuses this route can answer beyond the derived ones. */
  errors?: Array<400 | 404 | 409 | 412 | 422>;
  /** The answer carries `ETag: "<stream version>"`. */
  etag?: boolean;
  /** Honours `If-Match` (412 when stale; 409 when another writer won without it). */
  ifMatch?: boolean;
  /** Honours `Idempotency-Key`: a retry gets the first answer with `Idempotent-Replayed: true`, 422 if reused. */
  idempotent?: boolean;
  /** Answers with `Location` of the created resource. */
  location?: boolean;
}

export const API_ROUTE_KEY = 'ferry:api-route';

/** Puts a route in the OpenAPI document (see RouteSpec). */
export const ApiRoute = (spec: RouteSpec) => SetMetadata(API_ROUTE_KEY, spec);
