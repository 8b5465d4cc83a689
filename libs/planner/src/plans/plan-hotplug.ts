// Dry-run a hot-plug on the guest's current host: QEMU can only fail device_add at that point (docs/domain.md#migrate-then-hotplug).
import { toJsonSafe } from '@ferry/domain';
import type { JsonValue } from '../conflict/conflict.js';
import { ConflictCollector } from '../conflict/sink.js';
import { evaluateHotplug, type HotplugDevice } from '../evaluate/evaluate-hotplug.js';
import { prepareGuest } from '../prepare/prepared-guest.js';
import { prepareHost } from '../prepare/prepared-host.js';
import {
  guestRef,
  hostRef,
  machineDefaultsRef,
  requireGuest,
  requirePlacement,
  type FleetSnapshot,
  type StreamRef,
} from './fleet-snapshot.js';
import { answer, type PlanAnswer } from './plan-answer.js';
import { occupancyOf } from './plan-migration.js';

export interface HotplugInputs {
  guest: StreamRef;
  host: StreamRef;
  device: JsonValue;
  machineDefaults: { version: number | null };
}

export type HotplugPlan = PlanAnswer<HotplugInputs>;

export function planHotplug(fleet: FleetSnapshot, guestId: string, device: HotplugDevice): HotplugPlan {
  const guestState = requireGuest(fleet, guestId);
  const hostState = requirePlacement(fleet, guestState);
  const collector = new ConflictCollector();
  evaluateHotplug(
    prepareGuest(guestState),
    prepareHost(hostState),
    occupancyOf(fleet, hostState.host.id),
    fleet.machineDefaults,
    device,
    collector,
  );
  return answer(collector.conflicts, {
    guest: guestRef(fleet, guestId),
    host: hostRef(fleet, hostState.host.id),
    device: toJsonSafe(device) as JsonValue,
    machineDefaults: machineDefaultsRef(fleet),
  });
}
