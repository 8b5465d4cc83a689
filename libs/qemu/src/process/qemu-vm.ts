// One running QEMU: its process, its QMP connection, its temp dir (QMP socket, debugcon file,
// migration socket) and the record of what is plugged into it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeviceInventory } from '../devices/device-inventory.js';
import { QemuDriverError } from '../errors.js';
import { QmpClient } from '../qmp/qmp-client.js';
import { detectAccelerator, type Accelerator } from './accelerator.js';
import { trackChild, withParentDeathSignal } from './child-registry.js';
import { findBinary, QEMU_X86_64 } from './find-binary.js';
import { qemuArguments } from './qemu-arguments.js';
import { DEFAULT_ROOT_PORTS, type QemuVmConfig } from './vm-config.js';

export interface QemuExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartOptions {
  /** How long QEMU may take to open its QMP socket (default 10 000 ms). */
  startTimeoutMs?: number;
}

export interface StopOptions {
  /** How long each step (quit, SIGTERM) may take before the next (default 3000 ms). */
  graceMs?: number;
}

/** QEMU run states from query-status (qapi/run-state.json), plus "exited" for a dead process. */
export type RunState =
  | 'running'
  | 'paused'
  | 'postmigrate'
  | 'inmigrate'
  | 'prelaunch'
  | 'finish-migrate'
  | 'shutdown'
  | 'exited'
  | (string & {});

const OUTPUT_LIMIT = 256 * 1024;

export class QemuVm {
  readonly exited: Promise<QemuExit>;
  private output = '';
  private exit: QemuExit | undefined;
  private stopping: Promise<QemuExit> | undefined;

  private constructor(
    readonly config: QemuVmConfig,
    /** What is plugged: the config's devices and DIMMs, then every hot-plug and unplug. */
    readonly inventory: DeviceInventory,
    readonly accelerator: Accelerator,
    readonly tempDir: string,
    readonly qmpSocketPath: string,
    readonly debugconPath: string | undefined,
    readonly args: string[],
    private readonly child: ChildProcess,
    private qmpClient: QmpClient | undefined = undefined,
  ) {
    const collect = (chunk: Buffer) => {
      // Keep the start (the first error is the real one) and stop growing after the limit.
      if (this.output.length < OUTPUT_LIMIT) this.output += chunk.toString('utf8');
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => {
      const settle = (exit: QemuExit) => {
        this.exit ??= exit;
        resolve(this.exit);
      };
      child.once('exit', (code, signal) => settle({ code, signal }));
      // A process that could not be spawned at all emits 'error' and never 'exit'.
      child.on('error', (error) => {
        if (child.pid === undefined) {
          this.output += `${error.message}\n`;
          settle({ code: null, signal: null });
        }
      });
    });
  }

  /** Starts QEMU and returns once QMP is negotiated. Cleans up after itself on failure. */
  static async start(config: QemuVmConfig, options: StartOptions = {}): Promise<QemuVm> {
    const binary = findBinary(config.binary ?? QEMU_X86_64);
    if (!binary) {
      throw new QemuDriverError(
        'BINARY_NOT_FOUND',
        `${config.binary ?? QEMU_X86_64} not found on PATH (Debian: apt-get install qemu-system-x86)`,
      );
    }
    const accelerator = config.accelerator ?? detectAccelerator();
    // Short prefix: a unix socket path must fit in 108 bytes.
    const tempDir = mkdtempSync(join(tmpdir(), 'ferry-q-'));
    const qmpSocketPath = join(tempDir, 'qmp.sock');
    const debugconPath = config.debugcon ? join(tempDir, 'debugcon.log') : undefined;
    let args: string[];
    let inventory: DeviceInventory;
    try {
      args = qemuArguments(config, accelerator, { qmpSocket: qmpSocketPath, debugcon: debugconPath });
      inventory = inventoryOf(config);
    } catch (error) {
      rmSync(tempDir, { recursive: true, force: true });
      throw error;
    }
    const launch = withParentDeathSignal(binary, args);
    const child = spawn(launch.command, launch.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(child);
    const vm = new QemuVm(config, inventory, accelerator, tempDir, qmpSocketPath, debugconPath, args, child);
    try {
      vm.qmpClient = await vm.connectQmp(options.startTimeoutMs ?? 10_000);
      return vm;
    } catch (error) {
      await vm.kill();
      throw error;
    }
  }

  get name(): string {
    return this.config.name;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get qmp(): QmpClient {
    if (!this.qmpClient) throw new QemuDriverError('START_FAILED', `QEMU "${this.name}" has no QMP connection`);
    return this.qmpClient;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** Everything QEMU wrote to stdout and stderr (warnings, migration load errors). */
  get stderr(): string {
    return this.output;
  }

  /** What the guest wrote to port 0xe9 so far ("" without `debugcon: true`, or after stop()). */
  readDebugcon(): string {
    return this.debugconPath && existsSync(this.debugconPath) ? readFileSync(this.debugconPath, 'utf8') : '';
  }

  /** The exit, or undefined if QEMU is still running after timeoutMs. */
  async waitForExit(timeoutMs: number): Promise<QemuExit | undefined> {
    return (await this.exitsWithin(timeoutMs)) ? this.exit : undefined;
  }

  async runState(): Promise<RunState> {
    if (this.hasExited) return 'exited';
    try {
      const status = await this.qmp.execute<{ status: string }>('query-status');
      return status.status;
    } catch (error) {
      if (this.hasExited || this.qmp.isClosed) return 'exited';
      throw error;
    }
  }

  /** quit over QMP, then SIGTERM, then SIGKILL; removes the temp dir. Safe to call twice. */
  stop(options: StopOptions = {}): Promise<QemuExit> {
    this.stopping ??= this.stopGracefully(options.graceMs ?? 3000);
    return this.stopping;
  }

  private async stopGracefully(graceMs: number): Promise<QemuExit> {
    if (!this.hasExited && this.qmpClient && !this.qmpClient.isClosed) {
      // QEMU may close the socket before answering quit, so its answer proves nothing either way:
      // whether the process exits is what the lines below check (and SIGTERM/SIGKILL if not).
      await Promise.allSettled([this.qmpClient.execute('quit', undefined, { timeoutMs: graceMs })]);
    }
    if (!(await this.exitsWithin(graceMs))) {
      this.child.kill('SIGTERM');
      if (!(await this.exitsWithin(graceMs))) this.child.kill('SIGKILL');
    }
    return this.cleanUp();
  }

  private async kill(): Promise<QemuExit> {
    if (!this.hasExited) this.child.kill('SIGKILL');
    return this.cleanUp();
  }

  private async cleanUp(): Promise<QemuExit> {
    const exit = await this.exited;
    await this.qmpClient?.close();
    rmSync(this.tempDir, { recursive: true, force: true });
    return exit;
  }

  private async exitsWithin(ms: number): Promise<boolean> {
    if (this.hasExited) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([this.exited.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async connectQmp(timeoutMs: number): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.hasExited) {
        throw new QemuDriverError(
          'START_FAILED',
          `QEMU "${this.name}" exited (${describeExit(this.exit!)}) before opening QMP:\n${this.output.trim()}`,
        );
      }
      if (existsSync(this.qmpSocketPath)) {
        try {
          return await QmpClient.connect(this.qmpSocketPath, { timeoutMs: Math.max(deadline - Date.now(), 500) });
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
      }
      if (Date.now() > deadline) {
        throw new QemuDriverError(
          'START_FAILED',
          `QEMU "${this.name}" did not open ${this.qmpSocketPath} within ${timeoutMs} ms:\n${this.output.trim()}`,
        );
      }
      await sleep(20);
    }
  }
}

/** The one-device-per-port rule holds for the command line too. */
function inventoryOf(config: QemuVmConfig): DeviceInventory {
  const inventory = new DeviceInventory(config.rootPorts ?? DEFAULT_ROOT_PORTS);
  for (const device of config.devices ?? []) inventory.claimPort(device);
  for (const dimm of config.dimms ?? []) inventory.addDimm(dimm);
  return inventory;
}

export function describeExit(exit: QemuExit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}
