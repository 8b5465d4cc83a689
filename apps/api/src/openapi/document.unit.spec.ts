import 'reflect-metadata';
import { Controller, Delete, Get, Post, Put } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Public, Requires } from '../auth/roles.js';
import { buildOpenApiDocument } from './document.js';
import { ApiRoute } from './route-spec.js';
import { routeEntries } from './route-table.js';

const thing = z.strictObject({ name: z.string() });
const query = z.strictObject({ limit: z.coerce.number().int().default(10), kind: z.enum(['a', 'b']).optional() });

@Controller('v1/things')
class ThingsController {
  @ApiRoute({ id: 'listThings', tag: 'things', summary: 'List things', query, response: z.array(thing) })
  @Get()
  list() {}

  @ApiRoute({
    id: 'createThing',
    tag: 'things',
    summary: 'Create a thing',
    body: thing,
    example: { name: 'x' },
    status: 201,
    response: thing,
    errors: [409],
    idempotent: true,
    location: true,
  })
  @Requires('operator')
  @Post()
  create() {}

  @ApiRoute({ id: 'replaceThing', tag: 'things', summary: 'Replace', body: thing, response: thing, ifMatch: true })
  @Put(':id')
  replace() {}

  @Delete(':id')
  forgotten() {}
}

@Public()
@Controller('ping')
class PingController {
  @ApiRoute({ id: 'ping', tag: 'ops', summary: 'Ping', response: 'text' })
  @Get()
  ping() {}
}

type Op = {
  'x-ferry-role': string;
  security: unknown[];
  parameters?: Array<{ name?: string; $ref?: string; in?: string; required?: boolean }>;
  responses: Record<string, { headers?: Record<string, unknown> }>;
};
const doc = buildOpenApiDocument([ThingsController, PingController]) as { paths: Record<string, Record<string, Op>> };
const statuses = (op: Op) => Object.keys(op.responses).map(Number);

describe('the OpenAPI document builder', () => {
  it('documents routes with @ApiRoute and leaves out the rest, which the route table still names', () => {
    expect(Object.keys(doc.paths).sort()).toEqual(['/ping', '/v1/things', '/v1/things/{id}']);
    expect(Object.keys(doc.paths['/v1/things/{id}']!)).toEqual(['put']);
    const forgotten = routeEntries([ThingsController]).find((e) => e.method === 'DELETE');
    expect(forgotten).toMatchObject({ path: '/v1/things/:id', handler: 'ThingsController.forgotten', role: 'admin' });
    expect(forgotten?.spec).toBeUndefined();
  });

  it('states the role the guard enforces: @Requires, else viewer for reads and admin for writes, or public', () => {
    expect(doc.paths['/v1/things']!.get!['x-ferry-role']).toBe('viewer');
    expect(doc.paths['/v1/things']!.post!['x-ferry-role']).toBe('operator');
    expect(doc.paths['/v1/things/{id}']!.put!['x-ferry-role']).toBe('admin');
    const ping = doc.paths['/ping']!.get!;
    expect(ping['x-ferry-role']).toBe('public');
    expect(ping.security).toEqual([]);
    expect(statuses(ping)).toEqual([200, 503]);
  });

  it('derives each route’s statuses from what it takes and who may call it', () => {
    // A viewer read: 403 too (an agent token may not read), 400 for its query.
    expect(statuses(doc.paths['/v1/things']!.get!)).toEqual([200, 400, 401, 403, 429, 503]);
    expect(statuses(doc.paths['/v1/things']!.post!)).toEqual([201, 400, 401, 403, 409, 413, 422, 429, 503]);
    expect(statuses(doc.paths['/v1/things/{id}']!.put!)).toEqual([200, 400, 401, 403, 409, 412, 413, 429, 503]);
  });

  it('lists path and query parameters and the headers the route honours and sends', () => {
    const create = doc.paths['/v1/things']!.post!;
    expect(create.parameters).toEqual([
      { $ref: '#/components/parameters/IdempotencyKey' },
      { $ref: '#/components/parameters/CorrelationId' },
    ]);
    expect(Object.keys(create.responses['201']!.headers!)).toEqual(['Idempotent-Replayed', 'Location']);
    const list = doc.paths['/v1/things']!.get!.parameters!;
    expect(list.map((p) => [p.name, p.in, p.required])).toEqual([
      ['limit', 'query', false],
      ['kind', 'query', false],
    ]);
    const replace = doc.paths['/v1/things/{id}']!.put!.parameters!;
    expect(replace[0]).toMatchObject({ name: 'id', in: 'path', required: true });
    expect(replace[1]).toEqual({ $ref: '#/components/parameters/IfMatch' });
  });

  it('refuses two operations with the same operationId', () => {
    @Controller('twice')
    class Twice {
      @ApiRoute({ id: 'ping', tag: 'ops', summary: 'Again', response: 'text' })
      @Get()
      again() {}
    }
    expect(() => buildOpenApiDocument([PingController, Twice])).toThrow(/operationId ping is used twice/);
  });
});
