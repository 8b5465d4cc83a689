// One QMP conversation over a unix socket: the greeting, `qmp_capabilities`, commands matched
// to their replies by `id` (so concurrent callers never get each other's answers), and events.
import { createConnection, type Socket } from 'node:net';
import { QmpCommandError, QmpConnectionClosedError, QmpProtocolError, QmpTimeoutError } from './qmp-errors.js';
import { classifyQmpMessage, LineSplitter, type QmpEvent, type QmpGreeting, type QmpMessage } from './qmp-messages.js';
import { reportBackgroundError } from '@ferry/observability';

export interface QmpConnectOptions {
  /** Budget for connecting, the greeting and `qmp_capabilities` together (default 5000 ms). */
  timeoutMs?: number;
  /** Default per-command budget (default 30 000 ms); 0 waits for ever. */
  commandTimeoutMs?: number;
}

export interface QmpExecuteOptions {
  timeoutMs?: number;
}

export type QmpEventListener = (event: QmpEvent) => void;

/** Listen to every event with this name. */
export const ANY_EVENT = '*';

interface PendingCommand {
  command: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

export class QmpClient {
  private readonly pending = new Map<string, PendingCommand>();
  private readonly eventListeners = new Map<string, Set<QmpEventListener>>();
  private readonly closeListeners = new Set<(reason: string) => void>();
  private readonly splitter = new LineSplitter();
  private nextId = 1;
  private closeReason: string | undefined;
  private lastSocketError: string | undefined;
  private greetingWaiter: ((greeting: QmpGreeting | Error) => void) | undefined;
  private greetingValue: QmpGreeting | undefined;
  private readonly socketClosed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    private readonly commandTimeoutMs: number,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', (error) => {
      this.lastSocketError = error.message;
    });
    this.socketClosed = new Promise((resolve) => {
      socket.on('close', () => {
        this.shutDown(this.lastSocketError ?? 'socket closed by QEMU');
        resolve();
      });
    });
  }

  /** Connects, reads the greeting and leaves capabilities negotiation mode. */
  static async connect(socketPath: string, options: QmpConnectOptions = {}): Promise<QmpClient> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const client = new QmpClient(createConnection(socketPath), options.commandTimeoutMs ?? 30_000);
    try {
      await client.handshake(timeoutMs);
      return client;
    } catch (error) {
      client.socket.destroy();
      throw error;
    }
  }

  /** QEMU's version and capabilities as it announced them. */
  get greeting(): QmpGreeting {
    if (!this.greetingValue) throw new QmpProtocolError('no greeting yet');
    return this.greetingValue;
  }

  get isClosed(): boolean {
    return this.closeReason !== undefined;
  }

  /** Runs a command; resolves with its `return` value or rejects with QEMU's error verbatim. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, options: QmpExecuteOptions = {}): Promise<T> {
    if (this.closeReason !== undefined) return Promise.reject(new QmpConnectionClosedError(this.closeReason, command));
    const id = `ferry-${this.nextId++}`;
    const timeoutMs = options.timeoutMs ?? this.commandTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              // A late reply for this id is then ignored: QEMU may still carry the command out.
              this.pending.delete(id);
              reject(new QmpTimeoutError(`reply to "${command}"`, timeoutMs));
            }, timeoutMs)
          : undefined;
      this.pending.set(id, { command, resolve: resolve as (value: unknown) => void, reject, timer });
      this.socket.write(
        `${JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id })}\n`,
      );
    });
  }

  /** Subscribes to an event by name (or ANY_EVENT); returns the unsubscribe function. */
  on(eventName: string, listener: QmpEventListener): () => void {
    let listeners = this.eventListeners.get(eventName);
    if (!listeners) this.eventListeners.set(eventName, (listeners = new Set()));
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** Called once when the connection ends, with the reason; returns the unsubscribe function. */
  onClose(listener: (reason: string) => void): () => void {
    if (this.closeReason !== undefined) {
      listener(this.closeReason);
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /**
   * The next event with this name that satisfies the predicate. Only events that arrive after
   * the call count, so call it before the command that triggers the event and await it after.
   */
  waitForEvent(
    eventName: string,
    predicate: (event: QmpEvent) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const finish = (outcome: () => void) => {
        clearTimeout(timer);
        offEvent();
        offClose();
        outcome();
      };
      const timer = setTimeout(
        () => finish(() => reject(new QmpTimeoutError(`${eventName} event`, timeoutMs))),
        timeoutMs,
      );
      const offEvent = this.on(eventName, (event) => {
        let matches: boolean;
        try {
          matches = predicate(event);
        } catch (error) {
          // Pass on exactly what the caller's predicate threw.
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          finish(() => reject(error));
          return;
        }
        if (matches) finish(() => resolve(event));
      });
      const offClose = this.onClose((reason) =>
        finish(() => reject(new QmpConnectionClosedError(reason, `${eventName} event`))),
      );
    });
  }

  /** Closes the socket; outstanding commands and waits are rejected. */
  async close(): Promise<void> {
    if (this.closeReason === undefined) this.shutDown('closed by the client');
    this.socket.end();
    this.socket.destroySoon();
    await this.socketClosed;
  }

  private async handshake(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QmpTimeoutError('QMP greeting and qmp_capabilities', timeoutMs)), timeoutMs);
    });
    try {
      const greeting = new Promise<QmpGreeting>((resolve, reject) => {
        this.greetingWaiter = (value) => (value instanceof Error ? reject(value) : resolve(value));
        this.onClose((reason) => reject(new QmpConnectionClosedError(reason, 'greeting')));
      });
      await Promise.race([greeting, deadline]);
      await Promise.race([this.execute('qmp_capabilities'), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private receive(chunk: string): void {
    for (const line of this.splitter.push(chunk)) {
      if (this.closeReason !== undefined) return;
      let message: QmpMessage;
      try {
        message = classifyQmpMessage(JSON.parse(line));
      } catch (error) {
        this.protocolViolation(`unreadable QMP line ${JSON.stringify(line)}: ${(error as Error).message}`);
        return;
      }
      this.dispatch(message);
    }
  }

  private dispatch(message: QmpMessage): void {
    if (!this.greetingValue && message.kind !== 'greeting') {
      this.protocolViolation(`expected the QMP greeting, got ${message.kind}`);
      return;
    }
    switch (message.kind) {
      case 'greeting':
        this.greetingValue = message.greeting;
        this.greetingWaiter?.(message.greeting);
        this.greetingWaiter = undefined;
        return;
      case 'success':
        this.settle(message.id, (pending) => pending.resolve(message.value));
        return;
      case 'failure':
        this.settle(message.id, (pending) =>
          pending.reject(new QmpCommandError(pending.command, message.errorClass, message.desc)),
        );
        return;
      case 'event':
        this.emit(message.event);
        return;
      default: {
        const unreachable: never = message;
        throw new Error(`unhandled QMP message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private settle(id: unknown, outcome: (pending: PendingCommand) => void): void {
    // Replies without our id (e.g. QEMU's answer to unparsable input) or to a timed-out
    // command have nobody waiting; dropping them is all that can be done.
    if (typeof id !== 'string') return;
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    outcome(pending);
  }

  private emit(event: QmpEvent): void {
    for (const name of [event.event, ANY_EVENT]) {
      for (const listener of [...(this.eventListeners.get(name) ?? [])]) {
        try {
          listener(event);
        } catch (error) {
          // One faulty listener must not starve the others or break the connection.
          reportBackgroundError('qemu.listener', error, { listener: `QMP ${event.event}` });
        }
      }
    }
  }

  private protocolViolation(reason: string): void {
    this.greetingWaiter?.(new QmpProtocolError(reason));
    this.shutDown(reason);
    this.socket.destroy();
  }

  private shutDown(reason: string): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      clearTimeout(pending.timer);
      pending.reject(new QmpConnectionClosedError(reason, pending.command));
    }
    for (const listener of [...this.closeListeners]) listener(reason);
    this.closeListeners.clear();
  }
}
