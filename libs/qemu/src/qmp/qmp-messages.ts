// The shapes QEMU sends on a QMP socket (docs/interop/qmp-spec.rst): one JSON object a line,
// either the greeting, a reply to a command (matched by `id`) or an asynchronous event.

export interface QmpGreeting {
  QMP: { version: { qemu: { major: number; minor: number; micro: number }; package: string }; capabilities: string[] };
}

export interface QmpSuccess {
  return: unknown;
  id?: unknown;
}

export interface QmpFailure {
  error: { class: string; desc: string };
  id?: unknown;
}

export interface QmpEvent {
  /** `MIGRATION`, `MIGRATION_PASS`, `DEVICE_DELETED`, `STOP`, `RESUME`, `SHUTDOWN`, … */
  event: string;
  data: Record<string, unknown>;
  /** QEMU's timestamp, host wall clock, in milliseconds. */
  timestampMs: number;
  /** The same timestamp to the microsecond, as QEMU sends it. */
  timestampUs: number;
}

export type QmpMessage =
  | { kind: 'greeting'; greeting: QmpGreeting }
  | { kind: 'success'; id: unknown; value: unknown }
  | { kind: 'failure'; id: unknown; errorClass: string; desc: string }
  | { kind: 'event'; event: QmpEvent };

/** Classifies one decoded line; throws on anything that is not a QMP message. */
export function classifyQmpMessage(value: unknown): QmpMessage {
  if (typeof value !== 'object' || value === null) throw new Error(`not a JSON object: ${JSON.stringify(value)}`);
  const message = value as Record<string, unknown>;
  if ('QMP' in message) return { kind: 'greeting', greeting: message as unknown as QmpGreeting };
  if ('return' in message) return { kind: 'success', id: message.id, value: message.return };
  if ('error' in message) {
    const error = (message.error ?? {}) as { class?: unknown; desc?: unknown };
    return {
      kind: 'failure',
      id: message.id,
      // QMP's error class and desc are strings (qapi/error.json).
      errorClass: typeof error.class === 'string' ? error.class : 'GenericError',
      desc: typeof error.desc === 'string' ? error.desc : '',
    };
  }
  if (typeof message.event === 'string') {
    const timestamp = (message.timestamp ?? {}) as { seconds?: number; microseconds?: number };
    return {
      kind: 'event',
      event: {
        event: message.event,
        data: (message.data ?? {}) as Record<string, unknown>,
        timestampMs: (timestamp.seconds ?? 0) * 1000 + Math.floor((timestamp.microseconds ?? 0) / 1000),
        timestampUs: (timestamp.seconds ?? 0) * 1_000_000 + (timestamp.microseconds ?? 0),
      },
    };
  }
  throw new Error(`unknown QMP message: ${JSON.stringify(value)}`);
}

/** Splits a byte stream into lines; QEMU ends each message with "\r\n". */
export class LineSplitter {
  private buffered = '';

  push(chunk: string): string[] {
    this.buffered += chunk;
    const lines = this.buffered.split('\n');
    this.buffered = lines.pop() ?? '';
    return lines.map((line) => line.trim()).filter((line) => line.length > 0);
  }
}
