import { notFound, type HostState } from '@ferry/domain';

export function liveOrThrow(state: HostState | undefined, id: string): HostState {
  if (!state || state.decommissioned) throw notFound('host', id);
  return state;
}
