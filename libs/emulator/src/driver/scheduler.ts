// How the async driver gives the event loop back and, if asked, paces virtual time against
// wall time. The engine itself never reads a clock; this is the edge where one is read.

export interface Scheduler {
  /** Lets other work on the event loop run. */
  yield(): Promise<void>;
  sleep(ms: number): Promise<void>;
  /** Wall-clock milliseconds, only read when pacing. */
  now(): number;
}

export const eventLoopScheduler: Scheduler = {
  yield: () => new Promise((resolve) => setImmediate(resolve)),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => performance.now(),
};
