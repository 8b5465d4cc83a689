// One EventSource on /v1/stream for the whole page. The server names each message after its event
// type, and EventSource only delivers named messages to listeners registered for that name, so every
// known type is listened for; a jump in positions (a type this page does not know yet) is filled in
// from /v1/events so that nothing is silently missed.
import { api, token } from './api.js';

export const EVENT_TYPES = [
  'BridgeWindowsReported',
  'DeviceAttached',
  'DeviceDetached',
  'DeviceIommuPolicySet',
  'EvacuationStarted',
  'GuestDefined',
  'GuestDomainMapped',
  'GuestMigrated',
  'GuestOsReported',
  'GuestPlaced',
  'GuestRedefined',
  'GuestRemoved',
  'HostAttributesChanged',
  'HostCordoned',
  'HostDecommissioned',
  'HostIommuReported',
  'HostReachable',
  'HostRegistered',
  'HostUncordoned',
  'HostUnreachable',
  'HotplugCompleted',
  'HotplugFailed',
  'HotplugRejected',
  'HotplugRequested',
  'HotplugReservationAdded',
  'HotplugReservationRemoved',
  'HotplugStarted',
  'IommuGroupsReported',
  'MachineDefaultsSet',
  'MigrationCancelRequested',
  'MigrationCancelled',
  'MigrationCompleted',
  'MigrationFailed',
  'MigrationGated',
  'MigrationHintsSet',
  'MigrationPolicyAdjusted',
  'MigrationProgressed',
  'MigrationRejected',
  'MigrationReplanned',
  'MigrationRequested',
  'MigrationStarted',
  'MigrationSwitchedOver',
  'MigrationWaiting',
  'ReservedRegionsReported',
  'SpaprWindowsReported',
];

export function connectLive({ onEvent, onStatus }) {
  let last;
  // EventSource cannot send headers: the API takes the token as ?access_token= on this route only.
  const secret = token.get();
  const source = new EventSource(secret ? `/v1/stream?access_token=${encodeURIComponent(secret)}` : '/v1/stream');

  async function backfill(after, before) {
    try {
      const { events } = await api.events(after, Math.min(500, before - after - 1));
      for (const e of events) if (e.position < before) onEvent(e);
    } catch {
      // Best effort: the next message still arrives.
    }
  }

  function receive(message) {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    if (last !== undefined && event.position > last + 1) backfill(last, event.position);
    if (last === undefined || event.position > last) last = event.position;
    onEvent(event);
  }

  for (const type of EVENT_TYPES) source.addEventListener(type, receive);
  source.onmessage = receive;
  source.onopen = () => onStatus('live');
  source.onerror = () => onStatus(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  return source;
}
