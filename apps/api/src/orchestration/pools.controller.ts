import { Body, Controller, Get, Inject, Param, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { entityId } from '@ferry/domain';
import { EventStore } from '@ferry/event-store';
import { loadPoolPolicy, poolPolicySchema, setPoolPolicy, type PoolPolicy } from '@ferry/orchestration';
import { Requires } from '../auth/roles.js';
import { ValidationFailed } from '../http/problem.js';
import { etagOf, parseBody, send, writeContext } from '../http/request.js';
import { ApiRoute } from '../openapi/route-spec.js';
import { poolPolicyResponse } from '../openapi/responses.js';
import { policyExample } from '../openapi/examples.js';

/** Per-pool migration defaults: convergence policy and execution backend. */
@Controller('v1/pools')
export class PoolsController {
  constructor(@Inject(EventStore) private readonly store: EventStore) {}

  /** The policy in force; `ignored` lists stored fields today's rules refuse (they are not applied). */
  @ApiRoute({
    id: 'getPoolMigrationPolicy',
    tag: 'pools',
    summary: "A pool's convergence policy and backend (empty when none is set)",
    response: poolPolicyResponse,
    errors: [400],
    etag: true,
  })
  @Get(':pool/migration-policy')
  async get(@Param('pool') pool: string, @Res({ passthrough: true }) response: Response) {
    const { value, ignored, version } = await loadPoolPolicy(this.store, checkPool(pool));
    response.setHeader('ETag', etagOf(version));
    return { pool, ...(value ?? { policy: {} }), ...(ignored.length > 0 ? { ignored } : {}), version };
  }

  @ApiRoute({
    id: 'setPoolMigrationPolicy',
    tag: 'pools',
    summary: "Set a pool's convergence policy and backend (a migration's own fields win)",
    body: poolPolicySchema,
    example: { policy: policyExample, backend: 'emulator' },
    response: poolPolicyResponse,
    etag: true,
    ifMatch: true,
    idempotent: true,
  })
  @Put(':pool/migration-policy')
  @Requires('operator')
  async set(
    @Param('pool') pool: string,
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    parseBody(poolPolicySchema, body); // validate; the operator's own form is what is stored
    return send(response, await setPoolPolicy(this.store, checkPool(pool), body as PoolPolicy, writeContext(request)));
  }
}

function checkPool(pool: string): string {
  if (!entityId.safeParse(pool).success)
    throw new ValidationFailed([{ field: 'pool', message: 'must be a pool id of [a-z0-9-]' }]);
  return pool;
}
