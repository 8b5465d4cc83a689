// A live migration between two QemuVms over a unix socket in the destination's temp dir:
// both sides configured alike, progress polled from the source's query-migrate, and the
// outcome reported with QEMU's error text untouched.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { QemuDriverError } from '../errors.js';
import type { QemuVm, RunState } from '../process/qemu-vm.js';
import {
  migrationCapabilities,
  migrationParameterArguments,
  type QmpMigrationParameters,
} from './migration-parameters.js';
import {
  isEndStatus,
  toQmpMigrationProgress,
  type QmpMigrationEndStatus,
  type QmpMigrationProgress,
  type QmpMigrationStatus,
  type QueryMigrateResult,
} from './migration-progress.js';
import { settledRunState } from './run-state.js';
import { reportBackgroundError } from '@ferry/observability';

export interface StartMigrationOptions {
  source: QemuVm;
  /** Started with `incoming: true` and the source's configuration (see startMigrationDestination). */
  destination: QemuVm;
  parameters?: QmpMigrationParameters;
  /** query-migrate period (default 150 ms). */
  pollIntervalMs?: number;
  /** How long to wait for the run states to settle after the end (default 5000 ms). */
  settleTimeoutMs?: number;
}

export interface QmpMigrationOutcome {
  status: QmpMigrationEndStatus;
  /** QEMU's error-desc verbatim when the migration failed (or why the source went away). */
  error?: string;
  /** The last query-migrate, e.g. downtime and totals of a completed migration. */
  final: QmpMigrationProgress;
  progress: QmpMigrationProgress[];
  /**
   * Every status the source announced in MIGRATION events, in order. Polling can miss a
   * short phase (a post-copy phase of a few ms); these cannot.
   */
  transitions: QmpMigrationStatus[];
  /** After success: "postmigrate" (stopped); after failure or cancel: "running" again. */
  sourceRunState: RunState;
  /** After success: "running"; a failed destination usually exits ("exited"). */
  destinationRunState: RunState;
  /**
   * The destination's own output. After a failure this holds the real reason (e.g. 'Unknown
   * ramblock "…", cannot accept migration') while the source only saw a broken pipe.
   */
  destinationStderr: string;
}

export interface QmpMigrationHandle {
  /** Every record polled so far. */
  readonly progress: readonly QmpMigrationProgress[];
  /** Statuses from the source's MIGRATION events so far. */
  readonly transitions: readonly QmpMigrationStatus[];
  /** Subscribes to new records; returns the unsubscribe function. */
  onProgress(listener: (progress: QmpMigrationProgress) => void): () => void;
  readonly outcome: Promise<QmpMigrationOutcome>;
  /** migrate_cancel: the source keeps running. Resolves with the outcome. */
  cancel(): Promise<QmpMigrationOutcome>;
  /** migrate-start-postcopy; needs `postcopy: true` in the parameters. */
  startPostcopy(): Promise<void>;
}

/** Configures both sides, starts the destination listening, then the source sending. */
export async function startMigration(options: StartMigrationOptions): Promise<QmpMigrationHandle> {
  const { source, destination } = options;
  if (!destination.config.incoming) {
    throw new QemuDriverError(
      'NOT_MIGRATION_DESTINATION',
      `"${destination.name}" was not started with -incoming defer (incoming: true)`,
    );
  }
  const parameters = options.parameters ?? {};
  if (parameters.postcopy && (parameters.multifdChannels ?? 0) > 0) {
    // Seen with QEMU 7.2: the destination aborts (yank.c assertion) once post-copy starts on a
    // multifd stream, after the source has already handed the guest over.
    throw new QemuDriverError(
      'INVALID_CONFIG',
      'postcopy and multifd cannot be combined: QEMU before 10.1 does not support post-copy over multifd',
    );
  }
  const capabilities = migrationCapabilities(parameters);
  const parameterArgs = migrationParameterArguments(parameters);
  for (const vm of [destination, source]) {
    await vm.qmp.execute('migrate-set-capabilities', { capabilities });
    if (Object.keys(parameterArgs).length > 0) await vm.qmp.execute('migrate-set-parameters', parameterArgs);
  }
  const uri = `unix:${join(destination.tempDir, 'migration.sock')}`;
  const sourceWasRunning = (await source.runState()) === 'running';
  await destination.qmp.execute('migrate-incoming', { uri });
  // Listen before `migrate`, whose first MIGRATION event ("setup") can beat its reply.
  const transitions: QmpMigrationStatus[] = [];
  const stopListening = source.qmp.on('MIGRATION', (event) =>
    transitions.push(event.data.status as QmpMigrationStatus),
  );
  try {
    await source.qmp.execute('migrate', { uri });
  } catch (error) {
    stopListening();
    throw error;
  }
  return new QemuMigration(
    source,
    destination,
    transitions,
    stopListening,
    sourceWasRunning,
    options.pollIntervalMs ?? 150,
    options.settleTimeoutMs ?? 5000,
  );
}

class QemuMigration implements QmpMigrationHandle {
  readonly progress: QmpMigrationProgress[] = [];
  readonly outcome: Promise<QmpMigrationOutcome>;
  private readonly listeners = new Set<(progress: QmpMigrationProgress) => void>();

  constructor(
    private readonly source: QemuVm,
    private readonly destination: QemuVm,
    readonly transitions: QmpMigrationStatus[],
    private readonly stopListening: () => void,
    private readonly sourceWasRunning: boolean,
    private readonly pollIntervalMs: number,
    private readonly settleTimeoutMs: number,
  ) {
    this.outcome = this.watch();
  }

  onProgress(listener: (progress: QmpMigrationProgress) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async cancel(): Promise<QmpMigrationOutcome> {
    await this.source.qmp.execute('migrate_cancel');
    return this.outcome;
  }

  async startPostcopy(): Promise<void> {
    await this.source.qmp.execute('migrate-start-postcopy');
  }

  private async watch(): Promise<QmpMigrationOutcome> {
    let last: QmpMigrationProgress;
    let error: string | undefined;
    for (;;) {
      let info: QueryMigrateResult;
      try {
        info = await this.source.qmp.execute<QueryMigrateResult>('query-migrate');
      } catch (cause) {
        // The source died or stopped answering: nothing more to poll.
        return this.finish({
          status: 'failed',
          error: `query-migrate on the source failed: ${(cause as Error).message}`,
        });
      }
      last = toQmpMigrationProgress(info);
      this.record(last);
      error = info['error-desc'];
      if (isEndStatus(last.status)) break;
      await sleep(this.pollIntervalMs);
    }
    return this.finish({ status: last.status as QmpMigrationEndStatus, error });
  }

  private async finish(end: { status: QmpMigrationEndStatus; error?: string }): Promise<QmpMigrationOutcome> {
    this.stopListening();
    const completed = end.status === 'completed';
    const sourceRunState = await settledRunState(
      this.source,
      completed ? ['postmigrate'] : [this.sourceWasRunning ? 'running' : 'paused'],
      this.settleTimeoutMs,
    );
    // A destination that failed to load exits at once; give it a moment so its stderr,
    // which names the real cause, is complete.
    if (!completed) await this.destination.waitForExit(Math.min(this.settleTimeoutMs, 1000));
    const destinationRunState = completed
      ? await settledRunState(this.destination, ['running'], this.settleTimeoutMs)
      : await this.destination.runState();
    let { status, error } = end;
    if (completed && destinationRunState !== 'running') {
      // The source hands the guest over before the destination has finished (always in
      // post-copy); a destination that then dies has lost the guest, whatever the source says.
      status = 'failed';
      error = `the source reported "completed" but the destination is "${destinationRunState}": ${firstLine(this.destination.stderr)}`;
    }
    const outcome: QmpMigrationOutcome = {
      status,
      final: this.progress.at(-1) ?? toQmpMigrationProgress({ status: end.status }),
      progress: [...this.progress],
      transitions: [...this.transitions],
      sourceRunState,
      destinationRunState,
      destinationStderr: this.destination.stderr,
    };
    if (error !== undefined) outcome.error = error;
    return outcome;
  }

  private record(progress: QmpMigrationProgress): void {
    this.progress.push(progress);
    for (const listener of [...this.listeners]) {
      try {
        listener(progress);
      } catch (error) {
        reportBackgroundError('qemu.listener', error, { listener: 'migration progress' });
      }
    }
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] || '(no output)';
}
