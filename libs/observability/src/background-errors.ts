// Background work — pollers, timers, lease renewal, the reconciler, best-effort cleanups — has no
// caller to throw to. Instead of swallowing a failure it reports it here; the process that runs it
// (apps/api, apps/worker) listens once, logs with context and counts ferry_background_errors_total{task}.
// Like bullmq's worker.on('error'): one channel, never silence.

export interface BackgroundError {
  /** What failed, stable and low-cardinality (a metric label): `migration.lease-renewal`. */
  task: string;
  error: unknown;
  /** Which migration, host or job it was working for. */
  context: Record<string, unknown>;
}

export type BackgroundErrorListener = (report: BackgroundError) => void;

const listeners = new Set<BackgroundErrorListener>();

/** Starts delivering reports to `listener`; returns the function that stops it. */
export function onBackgroundError(listener: BackgroundErrorListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Reports a failure of background work. With nobody listening it still reaches stderr as a process warning. */
export function reportBackgroundError(task: string, error: unknown, context: Record<string, unknown> = {}): void {
  if (listeners.size === 0) {
    process.emitWarning(`background task ${task} failed: ${errorMessage(error)}`, { code: 'FERRY_BACKGROUND_ERROR' });
    return;
  }
  for (const listener of listeners) listener({ task, error, context });
}

/** For `.catch()`: `void this.reconcile().catch(reportFailureOf('orchestration.reconcile'))`. */
export function reportFailureOf(task: string, context: Record<string, unknown> = {}): (error: unknown) => void {
  return (error) => reportBackgroundError(task, error, context);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
