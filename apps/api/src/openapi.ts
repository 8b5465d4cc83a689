import type { INestApplication } from '@nestjs/common';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';
import { agentReportSchema } from '@ferry/fleet';
import {
  fleetFileSchema,
  guestDeviceSchema,
  guestSchema,
  hostPatchSchema,
  hostSchema,
  hotplugReservationSchema,
  machineDefaultSchema,
} from '@ferry/domain';

// The request schemas are the same zod schemas that validate the bodies, so the document cannot drift.
const jsonSchema = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;

const problem = {
  description: 'A problem: statusCode, error, message and per-field problems',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Problem' } } },
};
const ok = (description: string) => ({ description });
const body = (name: string) => ({
  required: true,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } },
});
const idParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const write = (summary: string, requestBody?: object, status = '200', params: object[] = []) => ({
  summary,
  parameters: [
    ...params,
    { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } },
    { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' } },
  ],
  ...(requestBody ? { requestBody } : {}),
  responses: {
    [status]: ok('the resource after the change'),
    400: problem,
    404: problem,
    409: problem,
    412: problem,
    422: problem,
  },
});
const read = (summary: string, params: object[] = []) => ({
  summary,
  parameters: params,
  responses: { 200: ok('ok'), 400: problem, 404: problem },
});

export function openApiDocument(): OpenAPIObject {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Ferry',
      version: '0.1.0',
      description:
        'IOMMU-aware live-migration orchestrator. Addresses are "0x…" hex strings; ranges have inclusive ends.',
    },
    paths: {
      '/v1/fleet': {
        post: {
          ...write('Apply a fleet file (JSON or YAML) as desired state', {
            required: true,
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/FleetFile' } },
              'application/yaml': { schema: { type: 'string' } },
            },
          }),
        },
      },
      '/v1/hosts': {
        post: write('Register a host', body('Host'), '201'),
        get: read('List hosts (?pool=&arch=&cordoned=&offset=&limit=)'),
      },
      '/v1/hosts/{id}': {
        get: read('A host and its ETag', [idParam('id')]),
        patch: write('Report host facts', body('HostPatch'), '200', [idParam('id')]),
      },
      '/v1/hosts/{id}/cordon': {
        post: write('Cordon a host: no guest will be planned onto it', undefined, '200', [idParam('id')]),
      },
      '/v1/hosts/{id}/uncordon': { post: write('Uncordon a host', undefined, '200', [idParam('id')]) },
      '/v1/hosts/{id}/agent-report': {
        put: write(
          "A host agent's report: the host's facts and the domains running on it (only differences are recorded)",
          body('AgentReport'),
          '200',
          [idParam('id')],
        ),
      },
      '/v1/hosts/{id}/heartbeat': {
        post: write("A host agent's heartbeat (an unreachable host becomes reachable)", undefined, '200', [
          idParam('id'),
        ]),
      },
      '/v1/hosts/{id}/migration-gate': {
        post: write(
          'The libvirt hook asks whether a domain may migrate to this host; the attempt is recorded',
          undefined,
          '200',
          [idParam('id')],
        ),
      },
      '/v1/guests': {
        post: write('Define a guest (its memory map is derived and recorded now)', body('Guest'), '201'),
        get: read('List guests (?host=&machine=&offset=&limit=)'),
      },
      '/v1/guests/{id}': {
        get: read('A guest with its memory map; ?asOf=<position> for the guest as it was', [idParam('id')]),
      },
      '/v1/guests/{id}/devices': { post: write('Attach a device', body('GuestDevice'), '201', [idParam('id')]) },
      '/v1/guests/{id}/devices/{deviceId}': {
        delete: write('Detach a device', undefined, '200', [idParam('id'), idParam('deviceId')]),
      },
      '/v1/guests/{id}/devices/{deviceId}/iommu-policy': {
        put: write('Set a virtio device iommu_platform (null = machine default)', undefined, '200', [
          idParam('id'),
          idParam('deviceId'),
        ]),
      },
      '/v1/guests/{id}/hotplug-reservations': {
        post: write('Reserve a future hot-plug', body('HotplugReservation'), '201', [idParam('id')]),
      },
      '/v1/guests/{id}/hotplug-reservations/{reservationId}': {
        delete: write('Remove a reservation', undefined, '200', [idParam('id'), idParam('reservationId')]),
      },
      '/v1/machine-defaults': {
        get: read('Per machine-family virtio IOMMU defaults'),
        put: write('Replace the machine defaults'),
      },
      '/v1/events': { get: read('The event log in commit order (?after=&limit=)') },
      '/v1/streams/{streamId}': {
        get: read('One stream (host-<id>, guest-<id>, migration-<id>)', [idParam('streamId')]),
      },
      '/health': { get: read('Database reachability') },
    },
    components: {
      schemas: {
        FleetFile: jsonSchema(fleetFileSchema),
        Host: jsonSchema(hostSchema),
        HostPatch: jsonSchema(hostPatchSchema),
        AgentReport: jsonSchema(agentReportSchema),
        Guest: jsonSchema(guestSchema),
        GuestDevice: jsonSchema(guestDeviceSchema),
        HotplugReservation: jsonSchema(hotplugReservationSchema),
        MachineDefault: jsonSchema(machineDefaultSchema),
        Problem: {
          type: 'object',
          properties: {
            statusCode: { type: 'integer' },
            error: { type: 'string' },
            message: { type: 'string' },
            problems: {
              type: 'array',
              items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
            },
          },
        },
      },
    },
  } as unknown as OpenAPIObject;
}

export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, openApiDocument(), { jsonDocumentUrl: 'docs/openapi.json' });
}
