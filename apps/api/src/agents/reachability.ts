import { type HostState } from '@ferry/domain';
import type { Heartbeat } from './heartbeats.js';

/**
 * Which hosts just fell silent: an agent has reported for them (a heartbeat row exists), its last
 * heartbeat is older than the timeout, and the host is not already marked unreachable. Silence is
 * counted from `watchingSinceMs` at the earliest (when this API instance started watching): while no
 * API ran, agents could not have reached it, so an API restart must not flag every host. Pure: the
 * clock and the states come in.
 */
export function silentHosts(
  heartbeats: readonly Heartbeat[],
  hosts: ReadonlyMap<string, HostState>,
  nowMs: number,
  timeoutMs: number,
  watchingSinceMs = 0,
): { hostId: string; reason: string; lastSeenAt: string }[] {
  return heartbeats.flatMap((beat) => {
    const host = hosts.get(beat.hostId);
    if (!host || host.decommissioned || host.unreachable) return [];
    const silentMs = nowMs - Math.max(beat.lastSeenMs, watchingSinceMs);
    if (silentMs <= timeoutMs) return [];
    const lastSeenAt = new Date(beat.lastSeenMs).toISOString();
    return [
      {
        hostId: beat.hostId,
        lastSeenAt,
        reason: `agent ${beat.agent} silent for ${Math.round(silentMs / 1000)} s (limit ${Math.round(timeoutMs / 1000)} s; last seen ${lastSeenAt})`,
      },
    ];
  });
}
