import { randomUUID } from 'node:crypto';
import { DomainError, effectiveIommuPlatform, guestDeviceSchema, streamOf, type GuestDevice } from '@ferry/domain';
import type { ExecutionBackend } from '@ferry/emulator';
import { ConcurrencyError, type EventMetadata, type EventStore, type IdempotencyOptions } from '@ferry/event-store';
import { FleetRepository, liveGuest, liveHost, type WriteContext, type WriteOutcome } from '@ferry/fleet';
import type { JobOutcome } from '@ferry/jobs';
import { planHotplug, type FleetSnapshot } from '@ferry/planner';
import { PlanBlockedError, snapshotOf } from '../plan-snapshot.js';
import type { LibvirtBackend } from '../libvirt/libvirt-backend.js';
import { attachThroughLibvirt } from '../libvirt/libvirt-hotplug.js';
import { deviceSpecOf, emulatedGuestOf, freeRootPort, hostSpecOf } from './emulator-hotplug.js';
import { evolveHotplug, type HotplugEvent, type HotplugState } from './hotplug-events.js';

export interface HotplugRequest {
  guestId: string;
  device: GuestDevice;
  backend?: 'emulator' | 'qemu' | 'libvirt';
  /** Run it even though the plan is blocked: a rehearsal to see the hypervisor's own answer. */
  force?: boolean;
}

export async function loadHotplug(
  store: EventStore,
  id: string,
): Promise<{ state: HotplugState | undefined; version: number }> {
  const events = await store.readStream(`hotplug-${id}`);
  const state = events.reduce<HotplugState | undefined>(
    (s, e) => evolveHotplug(s, e as unknown as HotplugEvent),
    undefined,
  );
  return { state, version: events.at(-1)?.streamVersion ?? 0 };
}

export async function requestHotplug(
  store: EventStore,
  fleet: FleetSnapshot,
  request: HotplugRequest,
  ctx: WriteContext,
): Promise<WriteOutcome & { id: string }> {
  const plan = planHotplug(fleet, request.guestId, request.device);
  if (plan.verdict === 'blocked' && !request.force) throw new PlanBlockedError('hotplug', plan.conflicts);
  const guest = fleet.guests.get(request.guestId)!;
  if (guest.devices.some((d) => d.id === request.device.id)) {
    throw new DomainError(
      'already-exists',
      'DEVICE_ALREADY_ATTACHED',
      `guest "${guest.id}" already has a device "${request.device.id}"`,
      [{ field: 'device.id', message: 'already attached' }],
    );
  }
  const id = randomUUID();
  const event: HotplugEvent = {
    type: 'HotplugRequested',
    data: {
      hotplugId: id,
      guestId: guest.id,
      hostId: guest.hostId!,
      device: request.device,
      plan: snapshotOf(plan),
      backend: request.backend ?? 'emulator',
    },
  };
  const body = { ...evolveHotplug(undefined, event), version: 1 };
  const idempotency: IdempotencyOptions | undefined = ctx.idempotency && {
    ...ctx.idempotency,
    respond: () => ({ status: 202, body }),
  };
  const outcome = await store.appendMany(
    [
      {
        streamId: `hotplug-${id}`,
        expectedVersion: 'no-stream',
        events: [{ type: event.type, data: event.data, metadata: ctx.metadata }],
      },
    ],
    idempotency,
  );
  if (outcome.kind === 'replayed')
    return {
      status: outcome.record.status,
      body: outcome.record.body,
      replayed: true,
      id: (outcome.record.body as { id: string }).id,
    };
  return { status: 202, body, replayed: false, id };
}

/** Executes a hot-plug: the backend answers, and the guest gets the device only together with HotplugCompleted. */
export class HotplugExecutor {
  private readonly fleet: FleetRepository;

  constructor(
    private readonly ports: {
      store: EventStore;
      backends: Record<'emulator' | 'qemu', ExecutionBackend | undefined>;
      libvirt?: LibvirtBackend;
      workerId: string;
    },
  ) {
    this.fleet = new FleetRepository(ports.store);
  }

  async run(id: string): Promise<JobOutcome> {
    const { state, version } = await loadHotplug(this.ports.store, id);
    if (!state || ['completed', 'failed', 'rejected'].includes(state.state)) return { kind: 'done' };
    const metadata: EventMetadata = { actor: `worker:${this.ports.workerId}`, correlationId: id };
    const append = (events: HotplugEvent[], at: number) =>
      this.ports.store.append(
        `hotplug-${id}`,
        events.map((e) => ({ type: e.type, data: e.data, metadata })),
        at,
      );
    const fail = (reason: string, qemuError: string | null = null, guestCrashed = false, at = version) =>
      append([{ type: 'HotplugFailed', data: { reason, qemuError, guestCrashed } }], at);
    try {
      if (state.state === 'running') {
        await fail(`interrupted: the worker running attempt ${state.attempts} stopped before the hot-plug finished`);
        return { kind: 'done' };
      }
      await append(
        [{ type: 'HotplugStarted', data: { attempt: state.attempts + 1, worker: this.ports.workerId } }],
        version,
      );
      await this.execute(state, metadata, (reason, qemuError, crashed) =>
        fail(reason, qemuError, crashed, version + 1),
      );
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
    }
    return { kind: 'done' };
  }

  private async execute(
    state: HotplugState,
    metadata: EventMetadata,
    fail: (reason: string, qemuError: string | null, crashed: boolean) => Promise<unknown>,
  ): Promise<void> {
    const guestLoaded = await this.fleet.loadGuest(state.guestId);
    const guest = guestLoaded.state;
    const host = guest?.hostId ? (await this.fleet.loadHost(guest.hostId)).state : undefined;
    if (!liveGuest(guest) || !liveHost(host) || guest.hostId !== state.hostId) {
      await fail(`guest ${state.guestId} is no longer on ${state.hostId}`, null, false);
      return;
    }
    const defaults = (await this.fleet.loadMachineDefaults()).state;
    if (state.backend === 'libvirt') {
      if (!this.ports.libvirt) {
        await fail(`the libvirt backend is not available on worker ${this.ports.workerId}`, null, false);
        return;
      }
      const iommu = effectiveIommuPlatform(state.device, guest.definition.machine, defaults).value;
      const outcome = await attachThroughLibvirt(this.ports.libvirt, host, guest, state.device, iommu);
      if (!outcome.ok) {
        await fail(outcome.reason, outcome.libvirtError, false);
        return;
      }
      await this.complete(
        state,
        guestLoaded.version,
        metadata,
        `${state.device.kind} ${state.device.id} attached by libvirt`,
        [],
      );
      return;
    }
    const backend = this.ports.backends[state.backend];
    if (!backend) {
      await fail(`the ${state.backend} backend is not available on worker ${this.ports.workerId}`, null, false);
      return;
    }
    const hostSpec = hostSpecOf(host);
    // Rebuild the guest as it is on this host: existing devices first, in the order they were added.
    let emulated = emulatedGuestOf(guest);
    for (const existing of guest.devices) {
      const port = freeRootPort(emulated);
      const spec = port && deviceSpecOf(existing, guest, host, defaults, port);
      if (spec) emulated = (await backend.hotplug({ guest: emulated, host: hostSpec, device: spec })).guest;
    }
    const port = freeRootPort(emulated);
    const device = port && deviceSpecOf(state.device, guest, host, defaults, port);
    if (!device) {
      await fail(
        port ? `host ${host.host.id} has no PCI device ${state.device.hostDevice}` : 'no free pcie-root-port',
        null,
        false,
      );
      return;
    }
    const result = await backend.hotplug({ guest: emulated, host: hostSpec, device });
    if (!result.ok) {
      // QEMU's words go in qemuError; a refusal QEMU never saw (no IOMMU here) explains itself in message.
      const said = result.qemuError ? undefined : (result as typeof result & { message?: string }).message;
      await fail(
        `device_add refused (${result.code})${said ? `: ${said}` : ''}`,
        result.qemuError,
        result.guest.status === 'crashed',
      );
      return;
    }
    const corruption = result.events.flatMap((e) =>
      e.type === 'SilentDmaCorruptionRisk'
        ? e.overlaps.map(
            (o) =>
              `${o.ramBlock} [0x${o.overlap.start.toString(16)}, 0x${o.overlap.end.toString(16)}] overlaps a reserved region: DMA there is lost`,
          )
        : [],
    );
    await this.complete(
      state,
      guestLoaded.version,
      metadata,
      `${device.kind} ${state.device.id} added on ${port}`,
      corruption,
    );
  }

  /** The guest gets the device exactly when the hot-plug completes: one transaction. */
  private async complete(
    state: HotplugState,
    guestVersion: number,
    metadata: EventMetadata,
    message: string,
    corruption: string[],
  ): Promise<void> {
    const { version } = await loadHotplug(this.ports.store, state.id);
    await this.ports.store.appendMany([
      {
        streamId: `hotplug-${state.id}`,
        expectedVersion: version,
        events: [{ type: 'HotplugCompleted', data: { message, corruption }, metadata }],
      },
      {
        streamId: streamOf.guest(state.guestId),
        expectedVersion: guestVersion,
        events: [{ type: 'DeviceAttached', data: { device: guestDeviceSchema.parse(state.device) }, metadata }],
      },
    ]);
  }
}
