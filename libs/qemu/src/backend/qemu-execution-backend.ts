// The emulator's ExecutionBackend on real QEMU: what the job queue calls with `backend: 'qemu'`.
// A migration runs the dirtying test guest between two local QEMUs sized from the spec; a hot-plug
// runs device_add against a QEMU holding the guest's devices. Small by design: one vCPU, RAM capped.
import type { ExecutionBackend, HotplugSpec, MigrationSpec, RunOptions } from '@ferry/emulator';
import type { Accelerator } from '../process/accelerator.js';
import type { QemuVmConfig } from '../process/vm-config.js';
import { hotplugOnQemu, type QemuHotplugResult } from './backend-hotplug.js';
import { QemuBackedMigration, type QemuMigrationHandle } from './backend-migration.js';

export interface QemuBackendOptions {
  /** Largest guest this machine runs (default 512 MiB); bigger specs are scaled down, with a note. */
  maxMemoryMiB?: number;
  /** query-migrate period (default 100 ms, QEMU's own bandwidth window). */
  pollIntervalMs?: number;
  /** How long the guest may take to write its working set before migrating (default 60 s). */
  fillTimeoutMs?: number;
  accelerator?: Accelerator;
  /** Start every destination with these differences from its source (rehearses a mismatch). */
  destinationOverrides?: Partial<QemuVmConfig>;
}

/** sliceMs, speed and scheduler pace the emulator only; a real migration runs in real time. */
export interface QemuRunOptions extends RunOptions {
  destinationOverrides?: Partial<QemuVmConfig>;
}

export class QemuExecutionBackend implements ExecutionBackend {
  constructor(private readonly options: QemuBackendOptions = {}) {}

  startMigration(spec: MigrationSpec, options: QemuRunOptions = {}): QemuMigrationHandle {
    const destinationOverrides = options.destinationOverrides ?? this.options.destinationOverrides;
    return new QemuBackedMigration(spec, {
      maxMemoryMiB: this.options.maxMemoryMiB ?? 512,
      pollIntervalMs: this.options.pollIntervalMs ?? 100,
      fillTimeoutMs: this.options.fillTimeoutMs ?? 60_000,
      ...(this.options.accelerator ? { accelerator: this.options.accelerator } : {}),
      ...(destinationOverrides ? { destinationOverrides } : {}),
    });
  }

  hotplug(spec: HotplugSpec): Promise<QemuHotplugResult> {
    return hotplugOnQemu(spec, {
      maxMemoryMiB: this.options.maxMemoryMiB ?? 512,
      ...(this.options.accelerator ? { accelerator: this.options.accelerator } : {}),
    });
  }
}
