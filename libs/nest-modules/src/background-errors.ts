import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Counter } from 'prom-client';
import { errorMessage, onBackgroundError, type BackgroundError } from '@ferry/observability';
import { log } from './json-logger.js';

/**
 * The one place background failures land in this process (API or worker): each is logged with its
 * task and context and counted in ferry_background_errors_total{task} (on /metrics where the process serves it).
 */
@Injectable()
export class BackgroundErrors implements OnModuleDestroy {
  readonly counter = new Counter({
    name: 'ferry_background_errors_total',
    help: 'Failures of background work (pollers, lease renewal, the reconciler, queue connections, cleanups) by task',
    labelNames: ['task'],
    registers: [],
  });
  private readonly stop = onBackgroundError((report) => this.handle(report));

  private handle({ task, error, context }: BackgroundError): void {
    this.counter.inc({ task });
    log('error', `background task ${task} failed: ${errorMessage(error)}`, {
      task,
      ...context,
      error: errorMessage(error),
      ...(error instanceof Error && error.stack ? { stack: error.stack } : {}),
    });
  }

  onModuleDestroy(): void {
    this.stop();
  }
}
