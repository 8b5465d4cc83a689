import {
  decodeEvent, decodeGuestState, decodeHostState, evolveGuest, evolveHost, toJsonSafe,
  type GuestEvent, type GuestState, type HostEvent, type HostState,
} from '@ferry/domain';
import type { Projection, StoredEvent } from '@ferry/event-store';

/** A read-model document: the folded state (JSON-safe) and the stream version it reflects. */
export interface StateDocument {
  state: unknown;
  version: number;
}

function stateProjection<State>(
  name: string,
  prefix: string,
  evolve: (state: State | undefined, event: StoredEvent) => State | undefined,
  decode: (json: unknown) => State,
  isGone: (state: State) => boolean,
): Projection<StateDocument> {
  return {
    name,
    documentIds: (event) => (event.streamId.startsWith(prefix) ? [event.streamId.slice(prefix.length)] : []),
    apply: (doc, event) => {
      const next = evolve(doc ? decode(doc.state) : undefined, event);
      if (!next || isGone(next)) return undefined;
      return { state: toJsonSafe(next), version: event.streamVersion };
    },
  };
}

export const hostsProjection = stateProjection<HostState>(
  'hosts',
  'host-',
  (state, event) => evolveHost(state, decodeEvent<HostEvent>(event.type, event.data)),
  decodeHostState,
  (state) => state.decommissioned,
);

export const guestsProjection = stateProjection<GuestState>(
  'guests',
  'guest-',
  (state, event) => evolveGuest(state, decodeEvent<GuestEvent>(event.type, event.data)),
  decodeGuestState,
  (state) => state.removed,
);
