// The one polling helper of the suites: read until the value is what the test waits for, or fail
// with the last value seen (a timeout that says what it saw is half the diagnosis).

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface WaitOptions {
  /** Between reads (default 50 ms). */
  everyMs?: number;
  /** Leads the timeout error (default "timed out"). */
  message?: string;
}

export async function waitFor<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
  { everyMs = 50, message = 'timed out' }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${message}; last value: ${describe(value)}`);
    await sleep(everyMs);
  }
}

function describe(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  return (text ?? String(value)).slice(0, 500);
}
