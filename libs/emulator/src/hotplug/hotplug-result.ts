// Builders for HotplugResult, so each device kind states only what differs.
import type { GuestState, HotplugCode, HotplugEvent, HotplugResult } from './hotplug-model.js';

export interface ResultDetails {
  kernelLog?: string[];
  guestLog?: string[];
  events?: HotplugEvent[];
}

/** device_add failed cleanly: the guest is as it was. */
export function refused(
  guest: GuestState,
  code: Exclude<HotplugCode, 'OK'>,
  qemuError: string,
  details: ResultDetails = {},
): HotplugResult {
  return {
    ok: false,
    code,
    qemuError,
    kernelLog: details.kernelLog ?? [],
    guestLog: details.guestLog ?? [],
    events: details.events ?? [],
    vfioBackend: guest.vfio?.backend ?? null,
    guest,
  };
}

/** The guest changed: a device was added (possibly unusable), or the guest died. */
export function changed(
  guest: GuestState,
  code: HotplugCode,
  qemuError: string | null,
  details: ResultDetails = {},
): HotplugResult {
  return {
    ok: code === 'OK',
    code,
    qemuError,
    kernelLog: details.kernelLog ?? [],
    guestLog: details.guestLog ?? [],
    events: details.events ?? [],
    vfioBackend: guest.vfio?.backend ?? null,
    guest,
  };
}
