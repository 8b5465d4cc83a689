// @ferry/qemu: drives real QEMU (qemu-system-x86_64, q35) over QMP: processes, live migration
// between two of them, and hot-plug of virtio devices and memory. Plus a tiny Multiboot test
// guest that dirties memory at a set rate.

// QMP
export {
  QmpClient,
  ANY_EVENT,
  type QmpConnectOptions,
  type QmpExecuteOptions,
  type QmpEventListener,
} from './qmp/qmp-client.js';
export type { QmpEvent, QmpGreeting } from './qmp/qmp-messages.js';
export { QmpCommandError, QmpConnectionClosedError, QmpTimeoutError, QmpProtocolError } from './qmp/qmp-errors.js';

// Processes
export { QemuVm, type QemuExit, type StartOptions, type StopOptions, type RunState } from './process/qemu-vm.js';
export type { QemuVmConfig } from './process/vm-config.js';
export { DEFAULT_ROOT_PORTS } from './process/vm-config.js';
export { detectAccelerator, type Accelerator } from './process/accelerator.js';
export { qemuAvailable, QEMU_X86_64 } from './process/find-binary.js';
export { QemuDriverError, type QemuDriverErrorCode } from './errors.js';

// Devices
export type { VirtioDeviceSpec, VirtioDriver, DimmSpec } from './devices/device-spec.js';
export { rootPortId } from './devices/device-spec.js';
export type { DeviceInventory } from './devices/device-inventory.js';

// Migration and hot-plug
export type { QmpMigrationParameters } from './backend/migration-parameters.js';
export type { QmpMigrationProgress, QmpMigrationStatus, QmpMigrationEndStatus } from './backend/migration-progress.js';
export {
  startMigration,
  type StartMigrationOptions,
  type QmpMigrationHandle,
  type QmpMigrationOutcome,
} from './backend/qemu-migration.js';
export { startMigrationDestination, migrationDestinationConfig } from './backend/migration-destination.js';
export { hotplugDevice, hotUnplugDevice, type UnplugOptions } from './backend/device-hotplug.js';
export { hotplugMemory, hotUnplugMemory } from './backend/memory-hotplug.js';

// The emulator's ExecutionBackend on real QEMU (the job queue's `backend: 'qemu'`)
export {
  QemuExecutionBackend,
  type QemuBackendOptions,
  type QemuRunOptions,
} from './backend/qemu-execution-backend.js';
export type { QemuMigrationHandle, QemuMigrationResult, QemuMigrationDetails } from './backend/backend-migration.js';
export type { QemuHotplugResult } from './backend/backend-hotplug.js';
export { planBackendGuest, isFirmwareBlock, type BackendGuestPlan } from './backend/backend-guest.js';
export { downtimeFigures, isImpossibleDowntime, type DowntimeFigures } from './backend/switchover-downtime.js';

// Test guest
export {
  buildTestGuest,
  testGuestAppend,
  parseGuestProgress,
  measuredDirtyRate,
  parseGuestStatus,
  TEST_GUEST_STATUS_ADDRESS,
  TEST_GUEST_SOURCE,
  type TestGuestParameters,
  type GuestProgress,
} from './guest/test-guest.js';
