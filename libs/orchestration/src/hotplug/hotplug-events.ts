import type { DomainEvent, GuestDevice } from '@ferry/domain';
import type { PlanSnapshot } from '../migration/migration-events.js';

export type HotplugEvent =
  | DomainEvent<
      'HotplugRequested',
      {
        hotplugId: string;
        guestId: string;
        hostId: string;
        device: GuestDevice;
        plan: PlanSnapshot;
        backend: 'emulator' | 'qemu' | 'libvirt';
      }
    >
  | DomainEvent<'HotplugRejected', { reason: string; conflicts: PlanSnapshot['conflicts'] }>
  | DomainEvent<'HotplugStarted', { attempt: number; worker: string }>
  /** The device is in the guest; `corruption` lists what a pre-5.4 kernel silently accepted. */
  | DomainEvent<'HotplugCompleted', { message: string; corruption: string[] }>
  /** QEMU's (or the kernel's) own words, verbatim, so operators can search for them. */
  | DomainEvent<'HotplugFailed', { reason: string; qemuError: string | null; guestCrashed: boolean }>;

export type HotplugStateName = 'requested' | 'running' | 'completed' | 'failed' | 'rejected';

export interface HotplugState {
  id: string;
  guestId: string;
  hostId: string;
  device: GuestDevice;
  backend: 'emulator' | 'qemu' | 'libvirt';
  plan: PlanSnapshot;
  state: HotplugStateName;
  attempts: number;
  outcome: string | null;
  qemuError: string | null;
}

export function evolveHotplug(state: HotplugState | undefined, event: HotplugEvent): HotplugState | undefined {
  if (event.type === 'HotplugRequested') {
    const d = event.data;
    return {
      id: d.hotplugId,
      guestId: d.guestId,
      hostId: d.hostId,
      device: d.device,
      backend: d.backend,
      plan: d.plan,
      state: 'requested',
      attempts: 0,
      outcome: null,
      qemuError: null,
    };
  }
  if (!state) return state;
  switch (event.type) {
    case 'HotplugRejected':
      return { ...state, state: 'rejected', outcome: event.data.reason };
    case 'HotplugStarted':
      return { ...state, state: 'running', attempts: event.data.attempt };
    case 'HotplugCompleted':
      return { ...state, state: 'completed', outcome: event.data.message };
    case 'HotplugFailed':
      return { ...state, state: 'failed', outcome: event.data.reason, qemuError: event.data.qemuError };
    default:
      return exhaustive(event);
  }
}

function exhaustive(event: never): never {
  throw new Error(`unhandled hotplug event ${(event as { type: string }).type}`);
}
