#!/usr/bin/env node
// The `ferry` command: talks to the Ferry REST API at $FERRY_URL. See `ferry --help`.
import { run } from './run.js';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  // The first Ctrl-C lets a watch say what goes on; a second one, or a command that does not stop, ends it.
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort();
  setTimeout(() => process.exit(130), 1000).unref();
});
// `ferry events | head`: a closed pipe is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => process.exit(error.code === 'EPIPE' ? 0 : 1));

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  tty: process.stdout.isTTY === true,
  columns: process.stdout.columns || undefined,
  interrupt: interrupt.signal,
});
// Exit once stdout is flushed, without waiting for idle keep-alive sockets.
process.stdout.write('', () => process.exit(code));
