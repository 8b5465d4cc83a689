import type { LoggerService } from '@nestjs/common';

type Level = 'debug' | 'info' | 'warn' | 'error';

const silent = () => process.env.FERRY_LOG === 'silent';

// EventSource sends its token in the URL (?access_token=); a URL that reaches a log line by any path
// (a stack, an error message, a field) loses the secret here, the one place every line passes.
const ACCESS_TOKEN_IN_URL = /([?&]access_token=)[^&#\s"\\]*/gi;

/** One JSON object per line on stdout: easy to ship, grep and join on correlationId. No secret in any line. */
export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (silent()) return;
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
  process.stdout.write(`${line.replace(ACCESS_TOKEN_IN_URL, '$1[redacted]')}\n`);
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
