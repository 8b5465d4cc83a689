import { z } from 'zod';
import { hostExample } from '../openapi/examples.js';
import { component } from '../openapi/responses.js';

// What the agent routes answer, for the OpenAPI document (the conformance test checks real answers).

const changed = z.strictObject({ kind: z.enum(['host', 'guest']), id: z.string(), events: z.array(z.string()) });

export const agentReportResponse = component(
  'AgentReportAnswer',
  z.strictObject({
    eventsWritten: z.int(),
    changed: z.array(changed),
    placementDeferred: z.array(z.string()).describe('guests whose unfinished Ferry migration records their move'),
    reachable: z.literal(true),
  }),
);

export const heartbeatResponse = component(
  'HeartbeatAnswer',
  z.strictObject({ hostId: z.string(), reachable: z.literal(true), eventsWritten: z.int(), lastSeenAt: z.string() }),
);

export const gateResponse = component(
  'MigrationGateAnswer',
  z.looseObject({
    decision: z.enum(['allowed', 'refused']),
    hostId: z.string(),
    guestId: z.string().nullable(),
    domain: z.looseObject({ uuid: z.string(), name: z.string().optional() }),
    startedBy: z.strictObject({ migrationId: z.string() }).nullable(),
    reason: z.string(),
    conflicts: z.array(z.looseObject({ code: z.string(), severity: z.string(), message: z.string() })),
    message: z.string().describe('what the hook prints on stderr (libvirt shows it to whoever started the migration)'),
  }),
);

const { id: _id, pool: _pool, ...facts } = hostExample;

export const agentReportExample = {
  facts: { ...facts, libvirt: { uri: 'qemu+ssh://root@host-b.example/system' } },
  domains: [
    {
      libvirt: { uuid: '3c9e4a52-8d0f-4f0e-9a43-6a1d2b7c9e01', name: 'web-1' },
      guest: { id: 'web-1', machine: 'virt-8.2', cpuVendor: 'arm', memory: { ram: '4GiB' } },
    },
  ],
};

export const gateExample = { domain: { uuid: '3c9e4a52-8d0f-4f0e-9a43-6a1d2b7c9e01', name: 'web-1' } };
