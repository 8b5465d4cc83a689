// A scriptable stand-in for QEMU's QMP socket, for unit tests of QmpClient: it sends the
// greeting, records commands and lets each test decide when and in what order to answer.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ReceivedCommand {
  execute: string;
  arguments?: Record<string, unknown>;
  id?: unknown;
}

export const FAKE_GREETING = {
  QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 }, package: 'fake' }, capabilities: ['oob'] },
};

export class FakeQmpServer {
  readonly received: ReceivedCommand[] = [];
  private connection: Socket | undefined;
  private readonly waiters: Array<() => void> = [];
  private buffered = '';

  private constructor(
    readonly socketPath: string,
    private readonly dir: string,
    private readonly server: Server,
  ) {}

  /** `answerCapabilities: false` leaves `qmp_capabilities` unanswered, like a wedged QEMU. */
  static async start(options: { greeting?: boolean; answerCapabilities?: boolean } = {}): Promise<FakeQmpServer> {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-fake-qmp-'));
    const socketPath = join(dir, 'qmp.sock');
    // Connections arrive only after listen(), by when `fake` below is set.
    const server = createServer((socket) => {
      fake.attach(socket, options.greeting ?? true, options.answerCapabilities ?? true);
    });
    const fake = new FakeQmpServer(socketPath, dir, server);
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    return fake;
  }

  get connected(): boolean {
    return this.connection !== undefined;
  }

  send(message: unknown): void {
    this.connection?.write(`${JSON.stringify(message)}\r\n`);
  }

  sendRaw(text: string): void {
    this.connection?.write(text);
  }

  reply(command: ReceivedCommand, value: unknown = {}): void {
    this.send({ return: value, id: command.id });
  }

  fail(command: ReceivedCommand, errorClass: string, desc: string): void {
    this.send({ error: { class: errorClass, desc }, id: command.id });
  }

  event(name: string, data?: Record<string, unknown>): void {
    this.send({ event: name, data, timestamp: { seconds: 1_700_000_000, microseconds: 250_000 } });
  }

  /** Resolves once `count` commands (after qmp_capabilities) have arrived. */
  async commands(count: number): Promise<ReceivedCommand[]> {
    const commands = () => this.received.filter((command) => command.execute !== 'qmp_capabilities');
    while (commands().length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return commands().slice(0, count);
  }

  /** Drops the client's connection, as a dying QEMU would. */
  hangUp(): void {
    this.connection?.destroy();
  }

  async stop(): Promise<void> {
    this.connection?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private attach(socket: Socket, greeting: boolean, answerCapabilities: boolean): void {
    this.connection = socket;
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      const lines = this.buffered.split('\n');
      this.buffered = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.trim())) {
        const command = JSON.parse(line) as ReceivedCommand;
        this.received.push(command);
        if (command.execute === 'qmp_capabilities' && answerCapabilities) this.reply(command);
        for (const wake of this.waiters.splice(0)) wake();
      }
    });
    if (greeting) this.send(FAKE_GREETING);
  }
}
