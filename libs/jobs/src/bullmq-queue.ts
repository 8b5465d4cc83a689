import { DelayedError, Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { JobCounts, JobHandler, JobQueue, JobWorker } from './queue.js';
import { reportBackgroundError, reportFailureOf } from '@ferry/observability';

export interface BullMqOptions {
  connection: ConnectionOptions;
  prefix?: string;
  /** How long a worker's lock on a job lasts without renewal; a SIGKILLed worker's job stalls after this. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

/** BullMQ on Redis: API and workers in separate processes, on as many machines as needed. */
export class BullMqQueue<Data> implements JobQueue<Data> {
  private readonly queue: Queue;

  constructor(
    readonly name: string,
    private readonly options: BullMqOptions,
  ) {
    this.queue = new Queue(name, { connection: options.connection, prefix: options.prefix });
    // BullMQ reconnects by itself; a connection error is reported (and shows in /health), never thrown.
    this.queue.on('error', reportFailureOf('jobs.queue', { queue: name }));
  }

  async enqueue(id: string, data: Data): Promise<void> {
    // jobId de-duplicates: adding an id that is waiting, delayed or active is a no-op.
    await this.queue.add(this.name, data, { jobId: id, removeOnComplete: true, removeOnFail: 1000, attempts: 1 });
  }

  work(handler: JobHandler<Data>, options: { concurrency: number }): JobWorker {
    const worker = new Worker(
      this.name,
      async (job, token) => {
        const outcome = await handler({ id: job.id!, data: job.data as Data, attempt: job.attemptsStarted });
        if (outcome.kind === 'later') {
          await job.moveToDelayed(Date.now() + outcome.delayMs, token);
          throw new DelayedError();
        }
      },
      {
        connection: this.options.connection,
        prefix: this.options.prefix,
        concurrency: options.concurrency,
        lockDuration: this.options.lockDurationMs ?? 30_000,
        stalledInterval: this.options.stalledIntervalMs ?? 30_000,
        // A job whose worker died is run again (once more per stall): the handler sees the
        // interrupted attempt in the log and records the truth before doing anything else.
        maxStalledCount: 5,
      },
    );
    worker.on('error', reportFailureOf('jobs.worker', { queue: this.name }));
    // A handler that threw: BullMQ keeps the reason on the job; the log and the metric should say so too.
    worker.on('failed', (job, error) =>
      reportBackgroundError('jobs.handler', error, { queue: this.name, jobId: job?.id }),
    );
    return { close: () => worker.close() };
  }

  async counts(): Promise<JobCounts> {
    const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
    };
  }

  /** Removes the queue's keys (tests use a random queue name and clean up after). */
  async obliterate(): Promise<void> {
    await this.queue.obliterate({ force: true });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
