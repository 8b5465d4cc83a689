import { afterEach, describe, expect, it } from 'vitest';
import { QmpClient } from './qmp-client.js';
import { QmpCommandError, QmpConnectionClosedError, QmpProtocolError, QmpTimeoutError } from './qmp-errors.js';
import { FakeQmpServer } from './fake-qmp-server.spec-support.js';

describe('QmpClient against a fake QMP server', () => {
  let server: FakeQmpServer | undefined;
  let client: QmpClient | undefined;

  afterEach(async () => {
    await client?.close();
    await server?.stop();
    client = server = undefined;
  });

  const connect = async (options?: Parameters<typeof FakeQmpServer.start>[0]) => {
    server = await FakeQmpServer.start(options);
    client = await QmpClient.connect(server.socketPath, { timeoutMs: 1000 });
    return { server, client };
  };

  it('reads the greeting and negotiates capabilities before anything else', async () => {
    const { server, client } = await connect();
    expect(client.greeting.QMP.version.qemu).toEqual({ major: 7, minor: 2, micro: 22 });
    expect(server.received.map((command) => command.execute)).toEqual(['qmp_capabilities']);
  });

  it('resolves a command with its return value and sends the arguments', async () => {
    const { server, client } = await connect();
    const status = client.execute('query-status', { verbose: true });
    const [command] = await server.commands(1);
    expect(command).toMatchObject({ execute: 'query-status', arguments: { verbose: true } });
    server.reply(command!, { status: 'running', running: true });
    await expect(status).resolves.toEqual({ status: 'running', running: true });
  });

  it("rejects with QEMU's class and desc verbatim", async () => {
    const { server, client } = await connect();
    const plug = client.execute('device_add', { driver: 'virtio-net-pci' });
    const [command] = await server.commands(1);
    const desc = 'VIRTIO_F_IOMMU_PLATFORM was supported by neither legacy nor transitional device';
    server.fail(command!, 'GenericError', desc);
    const error = await plug.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QmpCommandError);
    expect(error).toMatchObject({ command: 'device_add', errorClass: 'GenericError', desc, message: desc });
  });

  it('matches replies that arrive out of order, interleaved with events', async () => {
    const { server, client } = await connect();
    const seen: string[] = [];
    client.on('MIGRATION', (event) => seen.push(`MIGRATION:${String(event.data.status)}`));
    client.on('*', (event) => seen.push(`any:${event.event}`));
    const first = client.execute('query-migrate');
    const second = client.execute('query-status');
    const third = client.execute('query-name');
    const [a, b, c] = await server.commands(3);
    expect(new Set([a!.id, b!.id, c!.id]).size).toBe(3);
    server.event('MIGRATION', { status: 'active' });
    server.reply(c!, { name: 'vm-a' });
    server.event('STOP');
    server.reply(a!, { status: 'active' });
    const resumed = client.waitForEvent('RESUME', undefined, 1000);
    // Two replies in one write, the second split across writes: framing must not care.
    server.sendRaw(`${JSON.stringify({ return: { status: 'paused' }, id: b!.id })}\r\n{"event": "RESU`);
    server.sendRaw('ME", "data": {}, "timestamp": {"seconds": 1, "microseconds": 0}}\r\n');
    await expect(Promise.all([first, second, third])).resolves.toEqual([
      { status: 'active' },
      { status: 'paused' },
      { name: 'vm-a' },
    ]);
    await resumed;
    expect(seen).toEqual(['MIGRATION:active', 'any:MIGRATION', 'any:STOP', 'any:RESUME']);
  });

  it('waits for the first event that satisfies the predicate', async () => {
    const { server, client } = await connect();
    const deleted = client.waitForEvent('DEVICE_DELETED', (event) => event.data.device === 'net1', 1000);
    server.event('DEVICE_DELETED', { device: 'net0', path: '/machine/peripheral/net0' });
    server.event('DEVICE_DELETED', { device: 'net1', path: '/machine/peripheral/net1' });
    await expect(deleted).resolves.toMatchObject({
      event: 'DEVICE_DELETED',
      data: { device: 'net1' },
      timestampMs: 1_700_000_000_250,
      timestampUs: 1_700_000_000_250_000,
    });
  });

  it('times out a wait for an event that never comes', async () => {
    const { client } = await connect();
    await expect(client.waitForEvent('SHUTDOWN', undefined, 50)).rejects.toBeInstanceOf(QmpTimeoutError);
  });

  it('rejects every pending command and wait when the socket closes mid-command', async () => {
    const { server, client } = await connect();
    const migrate = client.execute('migrate', { uri: 'unix:/nowhere' });
    const status = client.execute('query-status');
    const shutdown = client.waitForEvent('SHUTDOWN', undefined, 5000);
    await server.commands(2);
    server.hangUp();
    for (const pending of [migrate, status, shutdown])
      await expect(pending).rejects.toBeInstanceOf(QmpConnectionClosedError);
    await expect(migrate).rejects.toMatchObject({ command: 'migrate' });
    expect(client.isClosed).toBe(true);
    await expect(client.execute('query-status')).rejects.toBeInstanceOf(QmpConnectionClosedError);
  });

  it('times out a command QEMU never answers and ignores the late reply', async () => {
    const { server, client } = await connect();
    const slow = client.execute('query-migrate', undefined, { timeoutMs: 50 });
    await expect(slow).rejects.toBeInstanceOf(QmpTimeoutError);
    const [command] = await server.commands(1);
    server.reply(command!, { status: 'late' });
    const next = client.execute('query-status');
    const [, second] = await server.commands(2);
    server.reply(second!, { status: 'running' });
    await expect(next).resolves.toEqual({ status: 'running' });
  });

  it('fails to connect when QEMU sends no greeting', async () => {
    server = await FakeQmpServer.start({ greeting: false });
    await expect(QmpClient.connect(server.socketPath, { timeoutMs: 100 })).rejects.toBeInstanceOf(QmpTimeoutError);
  });

  it('fails to connect when the first message is not a greeting', async () => {
    server = await FakeQmpServer.start({ greeting: false });
    const connecting = QmpClient.connect(server.socketPath, { timeoutMs: 1000 });
    while (!server.connected) await new Promise((resolve) => setTimeout(resolve, 5));
    server.event('STOP');
    await expect(connecting).rejects.toBeInstanceOf(QmpProtocolError);
  });

  it('fails to connect when nothing listens on the socket', async () => {
    await expect(QmpClient.connect('/nonexistent/qmp.sock', { timeoutMs: 100 })).rejects.toBeInstanceOf(
      QmpConnectionClosedError,
    );
  });

  it('closes on a line that is not JSON', async () => {
    const { server, client } = await connect();
    const status = client.execute('query-status');
    await server.commands(1);
    server.sendRaw('this is not json\r\n');
    await expect(status).rejects.toBeInstanceOf(QmpConnectionClosedError);
    await expect(status).rejects.toThrow(/unreadable QMP line "this is not json"/);
  });
});
