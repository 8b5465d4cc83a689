import type { LoggerService } from '@nestjs/common';

type Level = 'debug' | 'info' | 'warn' | 'error';

const silent = () => process.env.FERRY_LOG === 'silent';

/** One JSON object per line on stdout: easy to ship, grep and join on correlationId. */
export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (silent()) return;
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}

/** NestJS's own messages, in the same format. */
export class JsonLogger implements LoggerService {
  log(message: unknown, context?: string) {
    log('info', String(message), { context });
  }
  error(message: unknown, stack?: string, context?: string) {
    log('error', String(message), { context, stack });
  }
  warn(message: unknown, context?: string) {
    log('warn', String(message), { context });
  }
  debug(message: unknown, context?: string) {
    log('debug', String(message), { context });
  }
  verbose(message: unknown, context?: string) {
    log('debug', String(message), { context });
  }
}
