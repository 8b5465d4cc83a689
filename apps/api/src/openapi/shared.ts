// Parts of the OpenAPI document every operation shares: error answers, headers, tags.

export const ERROR_RESPONSES: Record<number, string> = {
  400: '#/components/responses/BadRequest',
  401: '#/components/responses/Unauthorized',
  403: '#/components/responses/Forbidden',
  404: '#/components/responses/NotFound',
  409: '#/components/responses/Conflict',
  412: '#/components/responses/PreconditionFailed',
  413: '#/components/responses/PayloadTooLarge',
  422: '#/components/responses/IdempotencyKeyReused',
  429: '#/components/responses/TooManyRequests',
  503: '#/components/responses/ServiceUnavailable',
};

export const PARAMETERS = {
  CorrelationId: {
    name: 'X-Correlation-Id',
    in: 'header',
    required: false,
    description: 'Recorded on every event this request writes, and echoed; a new one is made when absent or malformed.',
    schema: { type: 'string', pattern: '^[\\w.:-]{1,128}$' },
  },
  LastEventId: {
    name: 'Last-Event-ID',
    in: 'header',
    required: false,
    description: 'Sent by EventSource on reconnect: resume after this position (as `?after=`).',
    schema: { type: 'string' },
  },
  IfMatch: {
    name: 'If-Match',
    in: 'header',
    required: false,
    description:
      'Write only if the resource is still at this version (an ETag this API returned, e.g. `"3"`); else 412.',
    schema: { type: 'string', pattern: '^(\\*|(W/)?"?\\d+"?)$' },
    example: '"3"',
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Retries with the same key get the first answer (with `Idempotent-Replayed: true`) and write nothing twice; ' +
      'the same key on a different request is 422.',
    schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' },
    example: 'evacuate-host-b-2026-01-01',
  },
};

export const HEADERS = {
  ETag: {
    description: 'The stream version the answer reflects, e.g. `"3"`: send it back as `If-Match`.',
    schema: { type: 'string' },
  },
  IdempotentReplayed: {
    description: '`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.',
    schema: { type: 'string', enum: ['true'] },
  },
  Location: { description: 'Where to follow the work just queued.', schema: { type: 'string' } },
  RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
  WWWAuthenticate: { description: '`Bearer realm="ferry"`', schema: { type: 'string' } },
};

export const TAGS: Record<string, string> = {
  fleet: 'Apply a whole fleet file as desired state',
  hosts: 'Hosts: their IOMMU facts, cordons and evacuations',
  guests: 'Guests: memory maps, devices, IOMMU policies, hot-plug reservations',
  'machine-defaults': 'Per machine-family virtio iommu_platform defaults',
  plans: 'Dry runs: every conflict with evidence and remedy, nothing written',
  conflicts: 'The fleet conflict matrix',
  pools: 'Pool memory layouts and migration policies',
  migrations: 'Queued live migrations and their progress',
  hotplugs: 'Queued device hot-plugs',
  evacuations: 'Moving every guest off a host',
  events: 'The event log, one stream, and the live Server-Sent Events feed',
  tokens: 'API tokens (the secret is shown once)',
  operations: 'Health and Prometheus metrics',
};
