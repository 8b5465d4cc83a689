import {
  decideGuest,
  decideHost,
  decideMachineDefaults,
  DomainError,
  streamOf,
  type DomainEvent,
  type FleetFile,
} from '@ferry/domain';
import { ConcurrencyError, type AppendRequest } from '@ferry/event-store';
import { checkGuestArch, checkHostDevices, type FleetCommands } from './fleet-commands.js';
import { liveHost } from './fleet-repository.js';
import type { WriteContext, WriteOutcome } from './write-context.js';

export interface AppliedChange {
  kind: 'host' | 'guest' | 'machine-defaults';
  id: string;
  events: string[];
}

const MAX_ATTEMPTS = 3;

/**
 * Applies a fleet file as desired state, like `kubectl apply`: only differences become events, and
 * all of them are appended in one transaction, so a file is applied whole or not at all.
 */
export function applyFleetFile(commands: FleetCommands, file: FleetFile, ctx: WriteContext): Promise<WriteOutcome> {
  return commands.idempotent(ctx, async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await applyOnce(commands, file, { ...ctx, expectedVersion: undefined });
      } catch (error) {
        // Someone changed a stream between our read and our write: the file is desired state, so re-diff.
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  });
}

async function applyOnce(commands: FleetCommands, file: FleetFile, ctx: WriteContext): Promise<WriteOutcome> {
  const repository = commands.repository;
  const requests: AppendRequest[] = [];
  const changes: AppliedChange[] = [];
  const record = (
    kind: AppliedChange['kind'],
    id: string,
    streamId: string,
    events: DomainEvent[],
    version: number,
  ) => {
    if (events.length === 0) return;
    requests.push(commands.request(streamId, events, ctx, version));
    changes.push({ kind, id, events: events.map((e) => e.type) });
  };

  if (file.machineDefaults) {
    const { state, version } = await repository.loadMachineDefaults();
    record(
      'machine-defaults',
      'machine-defaults',
      streamOf.machineDefaults(),
      decideMachineDefaults({ type: 'SetMachineDefaults', defaults: file.machineDefaults }, state),
      version,
    );
  }

  const hostsInFile = new Map(file.hosts.map((host) => [host.id, host]));
  for (const host of file.hosts) {
    const { state, version } = await repository.loadHost(host.id);
    record('host', host.id, streamOf.host(host.id), decideHost({ type: 'ApplyHost', host }, state), version);
  }

  for (const [index, guest] of file.guests.entries()) {
    const hostFromFile = hostsInFile.get(guest.host);
    const stored = hostFromFile ? undefined : (await repository.loadHost(guest.host)).state;
    if (!hostFromFile && !liveHost(stored)) {
      throw new DomainError(
        'not-found',
        'HOST_NOT_FOUND',
        `guest "${guest.id}" is placed on host "${guest.host}", which does not exist`,
        [{ field: `guests[${index}].host`, message: `host "${guest.host}" does not exist` }],
      );
    }
    const hostState = hostFromFile ? { host: hostFromFile, cordoned: null, decommissioned: false } : stored!;
    checkGuestArch(guest, hostState, `guests[${index}].host`);
    checkHostDevices(guest.devices, hostState, `guests[${index}].devices`);
    const { state, version } = await repository.loadGuest(guest.id);
    record('guest', guest.id, streamOf.guest(guest.id), decideGuest({ type: 'ApplyGuest', guest }, state), version);
  }

  const unchanged = file.hosts.length + file.guests.length + (file.machineDefaults ? 1 : 0) - changes.length;
  return commands.write(requests, ctx, (result) => ({
    status: 200,
    body: {
      changed: changes,
      unchanged,
      eventsWritten: result.events.length,
      lastPosition: result.lastPosition || null,
    },
  }));
}
