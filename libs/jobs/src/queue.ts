/**
 * One queue interface, two drivers (see twentyhq/twenty's message-queue drivers): BullMQ on Redis
 * when API and workers are separate processes, and an in-process driver for the embedded default.
 * A job only says "work on X": the event log holds the truth about X, so a lost or repeated job
 * can be recovered by looking at the log (see the reconcilers).
 */
export interface Job<Data> {
  id: string;
  data: Data;
  /** 1 for the first run; higher after a retry or after a worker died holding it. */
  attempt: number;
}

export type JobOutcome =
  | { kind: 'done' }
  /** Not now (e.g. no migration slot free): run again after the delay, without counting a failure. */
  | { kind: 'later'; delayMs: number };

export type JobHandler<Data> = (job: Job<Data>) => Promise<JobOutcome>;

export interface JobCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface JobWorker {
  close(): Promise<void>;
}

export interface JobQueue<Data> {
  readonly name: string;
  /** Idempotent per id: enqueueing an id that is already waiting or running does nothing. */
  enqueue(id: string, data: Data): Promise<void>;
  work(handler: JobHandler<Data>, options: { concurrency: number }): JobWorker;
  counts(): Promise<JobCounts>;
  close(): Promise<void>;
}
