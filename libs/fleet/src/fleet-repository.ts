import {
  decodeEvent,
  evolveGuest,
  evolveHost,
  evolveMachineDefaults,
  streamOf,
  type GuestEvent,
  type GuestState,
  type HostEvent,
  type HostState,
  type MachineDefault,
  type MachineDefaultsEvent,
} from '@ferry/domain';
import type { EventStore, ReadStreamOptions } from '@ferry/event-store';

export interface Loaded<State> {
  state: State;
  /** The stream version the state was folded from: the ETag and the expected version of the next write. */
  version: number;
}

/** Folds streams into current (or historical) state. The log is the only source of truth. */
export class FleetRepository {
  constructor(private readonly store: EventStore) {}

  async loadHost(id: string, options: ReadStreamOptions = {}): Promise<Loaded<HostState | undefined>> {
    const events = await this.store.readStream(streamOf.host(id), options);
    const state = events.reduce<HostState | undefined>(
      (s, e) => evolveHost(s, decodeEvent<HostEvent>(e.type, e.data)),
      undefined,
    );
    return { state, version: events.at(-1)?.streamVersion ?? 0 };
  }

  async loadGuest(id: string, options: ReadStreamOptions = {}): Promise<Loaded<GuestState | undefined>> {
    const events = await this.store.readStream(streamOf.guest(id), options);
    const state = events.reduce<GuestState | undefined>(
      (s, e) => evolveGuest(s, decodeEvent<GuestEvent>(e.type, e.data)),
      undefined,
    );
    return { state, version: events.at(-1)?.streamVersion ?? 0 };
  }

  async loadMachineDefaults(): Promise<Loaded<MachineDefault[]>> {
    const events = await this.store.readStream(streamOf.machineDefaults());
    const state = events.reduce<MachineDefault[]>(
      (s, e) => evolveMachineDefaults(s, decodeEvent<MachineDefaultsEvent>(e.type, e.data)),
      [],
    );
    return { state, version: events.at(-1)?.streamVersion ?? 0 };
  }
}

export const liveHost = (state: HostState | undefined): state is HostState => !!state && !state.decommissioned;
export const liveGuest = (state: GuestState | undefined): state is GuestState => !!state && !state.removed;
