import type { Job, JobCounts, JobHandler, JobQueue, JobWorker } from './queue.js';
import { reportBackgroundError } from '@ferry/observability';

interface Entry<Data> {
  job: Job<Data>;
  notBefore: number;
}

/** Runs jobs in this process. Nothing survives a restart: the reconcilers re-enqueue from the log. */
export class InProcessQueue<Data> implements JobQueue<Data> {
  private readonly waiting: Entry<Data>[] = [];
  private readonly active = new Set<string>();
  private readonly workers = new Set<InProcessWorker<Data>>();
  private failed = 0;

  constructor(
    readonly name: string,
    private readonly now: () => number = Date.now,
  ) {}

  async enqueue(id: string, data: Data): Promise<void> {
    if (this.active.has(id) || this.waiting.some((e) => e.job.id === id)) return;
    this.waiting.push({ job: { id, data, attempt: 1 }, notBefore: 0 });
    this.wake();
  }

  work(handler: JobHandler<Data>, options: { concurrency: number }): JobWorker {
    const worker = new InProcessWorker(this, handler, options.concurrency);
    this.workers.add(worker);
    worker.pump();
    return {
      close: async () => {
        this.workers.delete(worker);
        await worker.stop();
      },
    };
  }

  /** The next job whose delay has passed, or the time until one is due. */
  take(): Entry<Data> | number | undefined {
    const now = this.now();
    const index = this.waiting.findIndex((e) => e.notBefore <= now);
    if (index >= 0) {
      const [entry] = this.waiting.splice(index, 1);
      this.active.add(entry!.job.id);
      return entry;
    }
    if (this.waiting.length === 0) return undefined;
    return Math.min(...this.waiting.map((e) => e.notBefore)) - now;
  }

  finish(entry: Entry<Data>, later?: number, failed = false): void {
    this.active.delete(entry.job.id);
    if (failed) this.failed++;
    if (later !== undefined)
      this.waiting.push({ job: { ...entry.job, attempt: entry.job.attempt }, notBefore: this.now() + later });
    this.wake();
  }

  private wake(): void {
    for (const worker of this.workers) worker.pump();
  }

  async counts(): Promise<JobCounts> {
    const now = this.now();
    return {
      waiting: this.waiting.filter((e) => e.notBefore <= now).length,
      active: this.active.size,
      delayed: this.waiting.filter((e) => e.notBefore > now).length,
      failed: this.failed,
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.stop()));
    this.workers.clear();
  }
}

class InProcessWorker<Data> {
  private running = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly queue: InProcessQueue<Data>,
    private readonly handler: JobHandler<Data>,
    private readonly concurrency: number,
  ) {}

  pump(): void {
    while (!this.stopped && this.running < this.concurrency) {
      const next = this.queue.take();
      if (next === undefined) return;
      if (typeof next === 'number') {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.pump(), Math.max(1, next));
        return;
      }
      this.running++;
      const run = this.run(next).finally(() => {
        this.running--;
        this.inFlight.delete(run);
        this.pump();
      });
      this.inFlight.add(run);
    }
  }

  private async run(entry: { job: Job<Data>; notBefore: number }): Promise<void> {
    try {
      const outcome = await this.handler(entry.job);
      this.queue.finish(entry, outcome.kind === 'later' ? outcome.delayMs : undefined);
    } catch (error) {
      // The handler records the failures it foresees in the log; this is one it did not (a store that
      // is away, say): count it, report it, and leave the job to the reconciler.
      this.queue.finish(entry, undefined, true);
      reportBackgroundError('jobs.handler', error, { queue: this.queue.name, jobId: entry.job.id });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight]);
  }
}
