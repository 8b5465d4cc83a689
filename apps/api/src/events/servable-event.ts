import type { StoredEvent } from '@ferry/event-store';

/**
 * An event as the API serves it. Older versions recorded each token's hash in TokenIssued; the log
 * keeps it (events never change), but no answer ever carries it.
 */
export function servable(event: StoredEvent): StoredEvent {
  if (event.type !== 'TokenIssued') return event;
  const { secretHash: _secretHash, ...data } = event.data as Record<string, unknown>;
  return { ...event, data };
}
