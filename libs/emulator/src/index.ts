// @ferry/emulator: a deterministic model of a guest's memory, dirty pages, IOMMU and devices
// that executes migrations and hot-plugs like QEMU + KVM + VFIO, far faster than real time.

// Units and helpers
export { PAGE_SIZE, KiB, MiB, GiB, TiB, gbitPerSecond, hex } from './units.js';
export { bigintReplacer, stringifyReport } from './json.js';
export { EmulatorSpecError, type EmulatorSpecErrorCode } from './spec-error.js';

// Guest memory and workloads
export type { RamBlockSpec, InitialContent } from './memory/guest-memory.js';
export type { WorkloadSpec, WritePattern, WorkloadPhase, MemoryRegion, WritePacing } from './workload/workload-spec.js';
export { describePacing, vcpuShareOf } from './workload/pacing.js';

// Migration
export type {
  MigrationSpec,
  MigrationParameters,
  AutoConvergeParameters,
  PostcopyParameters,
  MigrationLimits,
} from './migration/migration-spec.js';
export { QEMU_DEFAULT_MAX_BANDWIDTH, QEMU_DEFAULT_DOWNTIME_LIMIT_MS } from './migration/migration-spec.js';
export { QEMU_Q35_SWITCHOVER, switchoverFixedMs, type SwitchoverCost } from './migration/switchover-cost.js';
export { postcopyDue } from './migration/postcopy-policy.js';
export type {
  MigrationStatus,
  MigrationInfo,
  RamStats,
  IterationReport,
  MigrationRunEvent,
  MigrationResult,
  PostcopyReport,
  StopReason,
  SourceVmState,
  DestinationVmState,
} from './migration/migration-report.js';
export { MigrationSimulation, type CancelOutcome, type LiveParameters } from './migration/migration-simulation.js';
export {
  runMigration,
  predictMigration,
  type MigrationPrediction,
  type PredictionReason,
} from './migration/run-migration.js';

// Hot-plug
export type { IovaRange, ReservedRegion, ReservedRegionType } from './hotplug/iova-ranges.js';
export { usableIovaRanges } from './hotplug/iova-ranges.js';
export type {
  HostSpec,
  GuestState,
  DeviceSpec,
  VfioGroupSpec,
  VfioBackend,
  VfioContainerState,
  PluggedDevice,
  HotplugSpec,
  HotplugResult,
  HotplugCode,
  HotplugEvent,
  DmaOverlap,
} from './hotplug/hotplug-model.js';
export { createGuest, hotplug, type GuestDefinition } from './hotplug/hotplug.js';

// Driver API for the job queue
export type { ExecutionBackend } from './driver/execution-backend.js';
export { EmulatorBackend } from './driver/execution-backend.js';
export type { MigrationHandle, RunOptions } from './driver/migration-handle.js';
export { EventHistory } from './driver/event-history.js';
export { startSimulatedMigration } from './driver/migration-handle.js';
export type { Scheduler } from './driver/scheduler.js';
