import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { EventStore } from '@ferry/event-store';
import { reportBackgroundError } from '@ferry/observability';

/**
 * Wakes live readers when the log grows. Appends in this process wake them at once; appends by
 * other processes (workers on other machines) are noticed by one shared poll of the last position.
 */
@Injectable()
export class EventFeed implements OnModuleDestroy {
  private readonly waiters = new Set<() => void>();
  /** Set at shutdown: live readers end their responses so the HTTP server can close. */
  closed = false;
  private lastSeen = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  constructor(@Inject(EventStore) private readonly store: EventStore) {
    this.unsubscribe = store.subscribe(() => this.wakeAll());
  }

  /** Resolves when the log may have grown, or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void> {
    this.ensurePolling();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  private ensurePolling(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.wakeIfMoved(), 250);
    this.timer.unref();
  }

  private async wakeIfMoved(): Promise<void> {
    if (this.waiters.size === 0) return;
    try {
      const position = await this.store.lastPosition();
      if (position !== this.lastSeen) {
        this.lastSeen = position;
        this.wakeAll();
      }
    } catch (error) {
      // The database is briefly away; readers keep waiting and /health says why.
      reportBackgroundError('event-feed.poll', error);
    }
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }

  onModuleDestroy(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.unsubscribe();
    this.wakeAll();
  }
}
