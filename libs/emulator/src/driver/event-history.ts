// A migration's events as every backend hands them out (the emulator's shape, which MigrationWatch
// reads): listeners for live ones, and an async iterator that replays everything from the start and
// ends when the migration does. The QEMU and libvirt backends record into one of these.
import type { MigrationRunEvent } from '../migration/migration-report.js';

export class EventHistory {
  /** @param onListenerError where a throwing listener's error goes, so one bad listener stops no other. */
  constructor(private readonly onListenerError: (error: unknown) => void) {}

  private readonly events: MigrationRunEvent[] = [];
  private readonly listeners = new Set<(event: MigrationRunEvent) => void>();
  private readonly wakeups = new Set<() => void>();
  private closed = false;

  emit(event: MigrationRunEvent): void {
    this.events.push(event);
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
    this.wake();
  }

  /** No more events: iterators finish once they have handed out what there is. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  subscribe(listener: (event: MigrationRunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  iterate(): AsyncIterableIterator<MigrationRunEvent> {
    let index = 0;
    const iterator: AsyncIterableIterator<MigrationRunEvent> = {
      next: async () => {
        while (index >= this.events.length && !this.closed)
          await new Promise<void>((resolve) => this.wakeups.add(resolve));
        if (index < this.events.length) return { value: this.events[index++]!, done: false };
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  private wake(): void {
    const waiting = [...this.wakeups];
    this.wakeups.clear();
    for (const resolve of waiting) resolve();
  }
}
