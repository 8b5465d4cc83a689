// A migration's events: live listeners, and an async iterator that replays from the start and ends
// when the migration does (what the executor's MigrationWatch reads from every backend).
import type { MigrationRunEvent } from '@ferry/emulator';

export class EventHistory {
  private readonly events: MigrationRunEvent[] = [];
  private readonly listeners = new Set<(event: MigrationRunEvent) => void>();
  private readonly wakeups = new Set<() => void>();
  private closed = false;

  emit(event: MigrationRunEvent): void {
    this.events.push(event);
    for (const listener of [...this.listeners]) listener(event);
    this.wake();
  }

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
