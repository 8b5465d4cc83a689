import {
  decideGuest,
  decideHost,
  decideMachineDefaults,
  DomainError,
  encodeEventData,
  evolveGuest,
  evolveHost,
  guestArchOf,
  notFound,
  streamOf,
  type DomainEvent,
  type Guest,
  type GuestCommand,
  type GuestState,
  type Host,
  type HostCommand,
  type HostPatch,
  type HostState,
  type MachineDefault,
} from '@ferry/domain';
import { IdempotencyKeyReusedError, type AppendRequest, type AppendResult, type EventStore } from '@ferry/event-store';
import { FleetRepository, liveGuest, liveHost } from './fleet-repository.js';
import { guestView, hostView } from './views.js';
import type { WriteContext, WriteOutcome } from './write-context.js';

/** The write side: load a stream, decide, append with the expected version, answer with the new view. */
export class FleetCommands {
  readonly repository: FleetRepository;

  constructor(private readonly store: EventStore) {
    this.repository = new FleetRepository(store);
  }

  async registerHost(host: Host, ctx: WriteContext): Promise<WriteOutcome> {
    return this.hostCommand(host.id, { type: 'RegisterHost', host }, ctx, 201);
  }

  async updateHost(id: string, facts: HostPatch, ctx: WriteContext): Promise<WriteOutcome> {
    return this.hostCommand(id, { type: 'ReportHostFacts', facts }, ctx);
  }

  hostCommand(id: string, command: HostCommand, ctx: WriteContext, status = 200): Promise<WriteOutcome> {
    return this.idempotent(ctx, () => this.runHostCommand(id, command, ctx, status));
  }

  private async runHostCommand(
    id: string,
    command: HostCommand,
    ctx: WriteContext,
    status: number,
  ): Promise<WriteOutcome> {
    const { state, version } = await this.repository.loadHost(id);
    if (command.type !== 'RegisterHost' && !liveHost(state)) throw notFound('host', id);
    const events = decideHost(command, state);
    const next = events.reduce<HostState | undefined>((s, e) => evolveHost(s, e), state)!;
    const body = hostView(next, version + events.length);
    return this.write([this.request(streamOf.host(id), events, ctx, version)], ctx, () => ({ status, body }));
  }

  defineGuest(guest: Guest, ctx: WriteContext): Promise<WriteOutcome> {
    return this.idempotent(ctx, async () => {
      const host = await this.repository.loadHost(guest.host);
      if (!liveHost(host.state)) throw notFound('host', guest.host, 'host');
      checkGuestArch(guest, host.state, 'host');
      checkHostDevices(guest.devices, host.state, 'devices');
      return this.runGuestCommand(guest.id, { type: 'DefineGuest', guest }, ctx, 201);
    });
  }

  guestCommand(id: string, command: GuestCommand, ctx: WriteContext, status = 200): Promise<WriteOutcome> {
    return this.idempotent(ctx, () => this.runGuestCommand(id, command, ctx, status));
  }

  private async runGuestCommand(
    id: string,
    command: GuestCommand,
    ctx: WriteContext,
    status: number,
  ): Promise<WriteOutcome> {
    const { state, version } = await this.repository.loadGuest(id);
    if (command.type !== 'DefineGuest' && !liveGuest(state)) throw notFound('guest', id);
    if (command.type === 'AttachDevice' && state?.hostId) {
      const host = await this.repository.loadHost(state.hostId);
      if (liveHost(host.state)) checkHostDevices([command.device], host.state, '', true);
    }
    if (command.type === 'PlaceGuest') {
      const host = (await this.repository.loadHost(command.hostId)).state;
      if (!liveHost(host)) throw notFound('host', command.hostId, 'hostId');
      if (state) checkGuestArch(state.definition, host, 'hostId');
    }
    const events = decideGuest(command, state);
    const next = events.reduce<GuestState | undefined>((s, e) => evolveGuest(s, e), state)!;
    const defaults = (await this.repository.loadMachineDefaults()).state;
    const body = guestView(next, version + events.length, defaults);
    return this.write([this.request(streamOf.guest(id), events, ctx, version)], ctx, () => ({ status, body }));
  }

  setMachineDefaults(defaults: MachineDefault[], ctx: WriteContext): Promise<WriteOutcome> {
    return this.idempotent(ctx, async () => {
      const { state, version } = await this.repository.loadMachineDefaults();
      const events = decideMachineDefaults({ type: 'SetMachineDefaults', defaults }, state);
      return this.write([this.request(streamOf.machineDefaults(), events, ctx, version)], ctx, () => ({
        status: 200,
        body: { machineDefaults: events.length > 0 ? defaults : state, version: version + events.length },
      }));
    });
  }

  request(streamId: string, events: DomainEvent[], ctx: WriteContext, loadedVersion: number): AppendRequest {
    return {
      streamId,
      expectedVersion: ctx.expectedVersion ?? loadedVersion,
      events: events.map((event) => ({ type: event.type, data: encodeEventData(event), metadata: ctx.metadata })),
    };
  }

  /**
   * Runs a command once per Idempotency-Key. A retry whose first attempt already committed gets the
   * stored answer before anything is decided (deciding again could fail: "already exists"); a retry
   * racing its first attempt is caught by the append, which checks the key in its transaction, or,
   * if deciding failed because the first attempt just committed, by looking again.
   */
  async idempotent(ctx: WriteContext, command: () => Promise<WriteOutcome>): Promise<WriteOutcome> {
    if (!ctx.idempotency) return command();
    const replay = async () => {
      const record = await this.store.findIdempotency(ctx.idempotency!.key);
      if (!record) return undefined;
      if (record.fingerprint !== ctx.idempotency!.fingerprint) throw new IdempotencyKeyReusedError(record.key);
      return { status: record.status, body: record.body, replayed: true };
    };
    const earlier = await replay();
    if (earlier) return earlier;
    try {
      return await command();
    } catch (error) {
      const raced = await replay();
      if (raced) return raced;
      throw error;
    }
  }

  /** One atomic append of every stream's events, carrying the idempotency record when there is one. */
  async write(
    requests: AppendRequest[],
    ctx: WriteContext,
    respond: (result: AppendResult) => { status: number; body: unknown },
  ): Promise<WriteOutcome> {
    const writes = requests.filter((r) => r.events.length > 0);
    const idempotency = ctx.idempotency && { ...ctx.idempotency, respond };
    if (writes.length === 0 && !idempotency)
      return { ...respond({ versions: {}, lastPosition: 0, events: [] }), replayed: false };
    const outcome = await this.store.appendMany(writes, idempotency);
    if (outcome.kind === 'replayed')
      return { status: outcome.record.status, body: outcome.record.body, replayed: true };
    return { ...respond(outcome.result), replayed: false };
  }
}

/** KVM runs guests of the host's own architecture only: placing one elsewhere is a bad request. */
export function checkGuestArch(
  guest: { machine: string; arch?: string | undefined },
  host: HostState,
  field: string,
): void {
  const arch = guestArchOf(guest);
  if (arch === undefined || arch === host.host.arch) return;
  const message = `host "${host.host.id}" is ${host.host.arch}; this guest is ${arch} (${guest.machine}${guest.arch ? '' : ', no arch given'})`;
  throw new DomainError('invalid', 'GUEST_ARCH_MISMATCH', message, [{ field, message }]);
}

/** A vfio/vdpa device must name a PCI device the host actually has. */
export function checkHostDevices(
  devices: readonly { kind: string; hostDevice?: string }[],
  host: HostState,
  field: string,
  single = false,
): void {
  const present = new Set(host.host.groups.flatMap((g) => g.devices.map((d) => d.address)));
  devices.forEach((device, index) => {
    if (!device.hostDevice || present.has(device.hostDevice)) return;
    const path = single ? 'hostDevice' : `${field}[${index}].hostDevice`;
    throw new DomainError(
      'not-found',
      'HOST_DEVICE_NOT_FOUND',
      `host "${host.host.id}" has no PCI device ${device.hostDevice}`,
      [{ field: path, message: `host "${host.host.id}" has no PCI device ${device.hostDevice}` }],
    );
  });
}
