/** Exponential back-off with jitter: 0.5 s, 1 s, 2 s … capped; reset after a success. */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly baseMs = 500,
    private readonly capMs = 30_000,
  ) {}

  next(): number {
    const delay = Math.min(this.capMs, this.baseMs * 2 ** this.failures);
    this.failures++;
    return Math.round(delay * (0.75 + Math.random() * 0.5));
  }

  reset(): void {
    this.failures = 0;
  }

  get failing(): boolean {
    return this.failures > 0;
  }
}
