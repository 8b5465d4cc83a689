// Domain events as an async stream that survives libvirtd going away: `virsh event --loop` ends
// when its connection dies (keepalive), and the stream starts it again with back-off. Each
// (re)connection is announced, because events that happened while disconnected are lost and a
// consumer must then re-read the domains (a full sync) instead of trusting the gap.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseEventChunk, type DomainEvent } from './events.js';
import { libvirtMessage, spawnVirsh, virsh } from './virsh.js';

export type StreamItem =
  | DomainEvent
  | { kind: 'connected'; uri: string }
  | { kind: 'disconnected'; uri: string; reason: string; retryInMs: number };

export interface EventStreamOptions {
  signal?: AbortSignal;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Lines virsh printed that fit no known event (reported, never guessed at). */
  onUnparsed?: (line: string) => void;
}

export async function* domainEvents(uri: string, options: EventStreamOptions = {}): AsyncGenerator<StreamItem> {
  const initial = options.initialBackoffMs ?? 500;
  let backoff = initial;
  while (!options.signal?.aborted) {
    // A quick call first: `virsh event` itself says nothing until an event comes.
    const reachable = await virsh(uri, ['uri'], { timeoutMs: 20_000 }).then(
      () => undefined,
      (error: Error) => error.message,
    );
    if (reachable !== undefined) {
      yield { kind: 'disconnected', uri, reason: reachable, retryInMs: backoff };
      await sleep(backoff, undefined, { signal: options.signal }).catch(() => undefined);
      backoff = Math.min(backoff * 2, options.maxBackoffMs ?? 30_000);
      continue;
    }
    const child = spawnVirsh(uri, ['event', '--loop', '--all', '--timestamp']);
    const stop = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', stop, { once: true });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const queue: Array<StreamItem | null> = [];
    let wake: (() => void) | undefined;
    const push = (item: StreamItem | null) => {
      queue.push(item);
      wake?.();
    };
    let rest = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      const parsed = parseEventChunk(rest + chunk);
      rest = parsed.rest;
      for (const line of parsed.unparsed) options.onUnparsed?.(line);
      for (const event of parsed.events) push(event);
    });
    child.once('close', () => push(null));
    // virsh registers its callbacks right after connecting; give it a moment before a consumer
    // re-reads the domains, so nothing falls between that read and the first event.
    const connectedAfter = setTimeout(() => child.exitCode === null && push({ kind: 'connected', uri }), 300);
    try {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const item = queue.shift()!;
        if (item === null) break;
        if (item.kind === 'connected') backoff = initial;
        yield item;
      }
    } finally {
      clearTimeout(connectedAfter);
      options.signal?.removeEventListener('abort', stop);
      if (child.exitCode === null) child.kill('SIGTERM');
    }
    if (options.signal?.aborted) return;
    const reason = libvirtMessage(stderr) || 'virsh event ended';
    yield { kind: 'disconnected', uri, reason, retryInMs: backoff };
    await sleep(backoff, undefined, { signal: options.signal }).catch(() => undefined);
    backoff = Math.min(backoff * 2, options.maxBackoffMs ?? 30_000);
  }
}
