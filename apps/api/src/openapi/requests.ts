import {
  fleetFileSchema,
  guestDeviceSchema,
  guestSchema,
  hostPatchSchema,
  hostSchema,
  hotplugReservationSchema,
  machineDefaultSchema,
} from '@ferry/domain';
import { convergencePolicySchema, poolPolicySchema } from '@ferry/orchestration';
import { component } from './responses.js';

/** Request schemas from the libraries that several bodies share: one named component each. */
export const REQUEST_COMPONENTS = [
  component('FleetFile', fleetFileSchema),
  component('Host', hostSchema),
  component('HostPatch', hostPatchSchema),
  component('Guest', guestSchema),
  component('GuestDevice', guestDeviceSchema),
  component('HotplugReservation', hotplugReservationSchema),
  component('MachineDefault', machineDefaultSchema),
  component('ConvergencePolicy', convergencePolicySchema),
  component('PoolMigrationPolicyInput', poolPolicySchema),
];
