// The seam the job queue calls. EmulatorBackend runs everything in this library; a backend
// that drives real QEMU over QMP can implement the same interface later.
import type { HotplugResult, HotplugSpec } from '../hotplug/hotplug-model.js';
import { hotplug } from '../hotplug/hotplug.js';
import type { MigrationSpec } from '../migration/migration-spec.js';
import { startSimulatedMigration, type MigrationHandle, type RunOptions } from './migration-handle.js';

export interface ExecutionBackend {
  startMigration(spec: MigrationSpec, options?: RunOptions): MigrationHandle;
  /** Async because a real backend talks to QEMU; the emulator answers at once. */
  hotplug(spec: HotplugSpec): Promise<HotplugResult>;
}

export class EmulatorBackend implements ExecutionBackend {
  constructor(private readonly defaults: RunOptions = {}) {}

  startMigration(spec: MigrationSpec, options?: RunOptions): MigrationHandle {
    return startSimulatedMigration(spec, { ...this.defaults, ...options });
  }

  async hotplug(spec: HotplugSpec): Promise<HotplugResult> {
    return hotplug(spec);
  }
}
