type Level = 'debug' | 'info' | 'warn' | 'error';

/** One JSON object per line on stdout, like the API's log. Never given a token. */
export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (process.env.FERRY_LOG === 'silent') return;
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}
