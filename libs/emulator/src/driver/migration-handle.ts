// Runs a MigrationSimulation in slices so a service's event loop stays responsive, and exposes
// progress as listeners and as an async iterator.
import type { MigrationRunEvent, MigrationInfo, MigrationResult } from '../migration/migration-report.js';
import { MigrationSimulation, type CancelOutcome, type LiveParameters } from '../migration/migration-simulation.js';
import type { MigrationSpec } from '../migration/migration-spec.js';
import { eventLoopScheduler, type Scheduler } from './scheduler.js';

export interface RunOptions {
  /** Virtual milliseconds simulated between two yields to the event loop (default 1000). */
  sliceMs?: number;
  /** Virtual seconds per wall second (e.g. 1 = real time); absent = as fast as possible. */
  speed?: number;
  scheduler?: Scheduler;
}

export interface MigrationHandle {
  /** Subscribes to progress; returns the unsubscribe function. */
  onProgress(listener: (event: MigrationRunEvent) => void): () => void;
  /** Every event from the start, then live ones, ending when the migration stops. */
  events(): AsyncIterableIterator<MigrationRunEvent>;
  /** query-migrate now. */
  info(): MigrationInfo;
  cancel(): CancelOutcome;
  startPostcopy(): CancelOutcome;
  /** migrate-set-parameters: max-bandwidth and downtime-limit while migrating. */
  setParameters(change: LiveParameters): void;
  readonly result: Promise<MigrationResult>;
}

export function startSimulatedMigration(spec: MigrationSpec, options: RunOptions = {}): MigrationHandle {
  const simulation = new MigrationSimulation(spec);
  const sliceMs = options.sliceMs ?? 1000;
  const scheduler = options.scheduler ?? eventLoopScheduler;
  const history: MigrationRunEvent[] = [];
  const listeners = new Set<(event: MigrationRunEvent) => void>();
  const wakeups = new Set<() => void>();
  let done = false;

  simulation.onEvent((event) => {
    history.push(event);
    for (const listener of listeners) listener(event);
    for (const wake of wakeups) wake();
  });

  const drive = async (): Promise<MigrationResult> => {
    try {
      await scheduler.yield(); // let the caller subscribe before anything happens
      const wallStart = options.speed ? scheduler.now() : 0;
      const virtualStart = simulation.now;
      while (!simulation.finished) {
        const sliceEnd = simulation.now + sliceMs;
        while (!simulation.finished && simulation.now < sliceEnd) simulation.step();
        const wait = options.speed ? wallStart + (simulation.now - virtualStart) / options.speed - scheduler.now() : 0;
        if (wait > 0) await scheduler.sleep(wait);
        else await scheduler.yield();
      }
      return simulation.result();
    } finally {
      done = true;
      for (const wake of wakeups) wake();
    }
  };
  const result = drive();

  return {
    onProgress(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    events() {
      let index = 0;
      const iterator: AsyncIterableIterator<MigrationRunEvent> = {
        async next() {
          while (index >= history.length && !done) {
            await new Promise<void>((resolve) => {
              const wake = () => {
                wakeups.delete(wake);
                resolve();
              };
              wakeups.add(wake);
            });
          }
          if (index < history.length) return { value: history[index++]!, done: false };
          return { value: undefined, done: true };
        },
        [Symbol.asyncIterator]() {
          return iterator;
        },
      };
      return iterator;
    },
    info: () => simulation.info(),
    cancel: () => simulation.cancel(),
    startPostcopy: () => simulation.startPostcopy(),
    setParameters: (change) => simulation.setParameters(change),
    result,
  };
}
