// The CLI in-process against a scripted HTTP server: watch rendering, exit codes, argument parsing.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from './cli.js';
import { bytes, size, table } from './format.js';
import { percentDone, type Progress } from './progress.js';
import { run } from './run.js';
import { parseDevice } from './commands/plan.js';

const progress = (iteration: number, remaining: number): Progress => ({
  iteration,
  status: 'active',
  elapsedMs: iteration * 1000,
  transferredBytes: `0x${((16 - remaining) * 2 ** 30).toString(16)}`,
  remainingBytes: `0x${(remaining * 2 ** 30).toString(16)}`,
  totalBytes: '0x400000000',
  dirtyPagesRate: 5000,
  expectedDowntimeMs: 120,
  downtimeLimitMs: 300,
  cpuThrottlePercentage: 20,
  mbps: 9400,
});

/** Events of migration m-<name>: what GET /v1/streams returns, then what the live stream sends. */
const SCRIPTS: Record<string, { stored: string[]; live: Array<[string, object]> }> = {
  ok: {
    stored: ['MigrationRequested', 'MigrationStarted'],
    live: [
      ['MigrationProgressed', progress(1, 12)],
      ['MigrationProgressed', progress(2, 4)],
      [
        'MigrationCompleted',
        { totalTimeMs: 2500, downtimeMs: 80, transferredBytes: '0x480000000', iterations: 3, mode: 'precopy' },
      ],
    ],
  },
  bad: {
    stored: ['MigrationRequested'],
    live: [
      ['MigrationStarted', {}],
      ['MigrationFailed', { reason: 'destination QEMU exited' }],
    ],
  },
  late: { stored: ['MigrationRequested', 'MigrationStarted', 'MigrationCompleted'], live: [] },
};

let lastAuthorization: string | undefined;

function handler(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url!, 'http://x');
  lastAuthorization = request.headers.authorization;
  const json = (status: number, body: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  if (request.method === 'POST' && url.pathname === '/v1/migrations') {
    let text = '';
    request.on('data', (c) => (text += c));
    request.on('end', () => {
      const { guestId } = JSON.parse(text);
      if (guestId === 'blocked')
        return json(409, {
          statusCode: 409,
          error: 'migration_blocked',
          message: 'the plan is blocked',
          problems: [],
          conflicts: [
            {
              code: 'MSI_WINDOW_OVERLAPS_GUEST_RAM',
              severity: 'error',
              message: 'overlap',
              remedy: 'choose another host',
            },
          ],
        });
      json(202, { id: `m-${guestId}`, state: 'requested' });
    });
    return;
  }
  const stored = /^\/v1\/streams\/migration-m-(\w+)$/.exec(url.pathname);
  if (stored)
    return json(200, {
      events: SCRIPTS[stored[1]!]!.stored.map((type, i) => ({
        position: i + 1,
        streamId: `migration-m-${stored[1]}`,
        type,
        data: { guestId: stored[1], sourceHostId: 'a', destinationHostId: 'b' },
      })),
    });
  if (url.pathname === '/v1/stream') {
    const streamId = url.searchParams.get('streams')!;
    const script = SCRIPTS[streamId.replace('migration-m-', '')]!;
    let position = Number(url.searchParams.get('after'));
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write(': connected\n\n');
    // Another migration's event on the way must be ignored.
    response.write(
      `id: 99\nevent: MigrationStarted\ndata: ${JSON.stringify({ position: 99, streamId: 'migration-other', type: 'MigrationStarted', data: {} })}\n\n`,
    );
    for (const [type, data] of script.live)
      response.write(
        `id: ${++position}\nevent: ${type}\ndata: ${JSON.stringify({ position, streamId, type, data })}\n\n`,
      );
    return; // stays open, as the real stream does: the client must hang up
  }
  if (url.pathname === '/v1/hosts/full/evacuate')
    return json(202, {
      id: 'e-1',
      hostId: 'full',
      moves: [],
      unplaceable: [
        {
          guestId: 'vm-9',
          conflicts: [{ code: 'INSUFFICIENT_MEMORY', severity: 'error', message: 'no room', remedy: 'add a host' }],
        },
      ],
    });
  if (url.pathname === '/v1/evacuations/e-1')
    return json(200, { id: 'e-1', hostId: 'full', moves: [], total: 0, done: true });
  if (url.pathname === '/v1/hosts')
    return json(200, {
      items: [{ id: 'h-1', arch: 'x86_64', memory: '64GiB', groups: [] }],
      total: 1,
      offset: 0,
      limit: 1000,
    });
  const migration = /^\/v1\/migrations\/(m-\w+)$/.exec(url.pathname);
  if (migration) return json(200, { id: migration[1], state: 'completed', lastProgress: null });
  json(404, { statusCode: 404, error: 'not_found', message: `Cannot ${request.method} ${url.pathname}`, problems: [] });
}

async function ferry(args: string[], url: string, tty = false, env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: (async function* () {})(),
    env: { FERRY_URL: url, ...env },
    tty,
    columns: 160,
  };
  const code = await run(args, io);
  return { code, stdout, stderr };
}

describe('ferry in-process', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('migrate --watch without a terminal prints one plain line per event and exits 0 on completion', async () => {
    const { code, stdout, stderr } = await ferry(['migrate', 'ok', '--to', 'b', '--watch'], url);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('migration m-ok: ok → b');
    expect(lines.filter((l) => l.startsWith('progress '))).toEqual([
      'progress   25%  4 GiB/16 GiB sent  12 GiB left  dirty 5000 pages/s  downtime ~120 ms (limit 300 ms)  throttle 20%  iter 1  9400 Mbps  (active, 1.0 s)',
      'progress   75%  12 GiB/16 GiB sent  4 GiB left  dirty 5000 pages/s  downtime ~120 ms (limit 300 ms)  throttle 20%  iter 2  9400 Mbps  (active, 2.0 s)',
    ]);
    expect(lines.at(-1)).toBe('completed in 2.5 s: downtime 80 ms, 18 GiB transferred in 3 iterations (precopy)');
    expect(stdout).not.toMatch(/\x1b\[|\r/);
  });

  it('on a terminal the progress line is redrawn in place with a bar', async () => {
    const { code, stdout } = await ferry(['migrate', 'ok', '--to', 'b', '--watch'], url, true);
    expect(code).toBe(0);
    expect(stdout).toContain('\r\x1b[K[#####...............]  25%');
    expect(stdout).toContain('\r\x1b[K[###############.....]  75%');
    expect(stdout).toMatch(/\r\x1b\[Kcompleted in 2\.5 s/);
  });

  it('a failed migration exits 1; one that ended before the watch began is reported from the stored events', async () => {
    const failed = await ferry(['migrate', 'bad', '--to', 'b', '--watch'], url);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('failed: destination QEMU exited');
    const late = await ferry(['migration', 'show', 'm-late', '--watch', '--json'], url);
    expect(late.code).toBe(0);
    expect(JSON.parse(late.stdout)).toMatchObject({ id: 'm-late', state: 'completed' });
    expect(late.stderr).toContain('requested: late a → b');
  });

  it('a blocked migration (409 migration_blocked) prints the conflicts and exits 2', async () => {
    const blocked = await ferry(['migrate', 'blocked', '--to', 'b'], url);
    expect(blocked.code).toBe(2);
    expect(blocked.stdout).toMatch(
      /BLOCKED \(1 error\)\n\nerror {2}MSI_WINDOW_OVERLAPS_GUEST_RAM\n {4}overlap\n {4}remedy: choose another host/,
    );
    const json = await ferry(['migrate', 'blocked', '--to', 'b', '--json'], url);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error).toBe('migration_blocked');
  });

  it('sends FERRY_TOKEN as a bearer token; --url wins over FERRY_URL', async () => {
    const listed = await ferry(['hosts', '--url', url], 'http://127.0.0.1:9', false, { FERRY_TOKEN: 's3cret' });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+POOL\s+ARCH[^\n]*\nh-1\s+-\s+x86_64\s+-\s+64 GiB/);
    expect(lastAuthorization).toBe('Bearer s3cret');
    await ferry(['hosts'], url);
    expect(lastAuthorization).toBeUndefined();
  });

  it('an evacuation that leaves a guest behind exits 2 and says why', async () => {
    const { code, stdout } = await ferry(['evacuate', 'full', '--watch'], url);
    expect(code).toBe(2);
    expect(stdout).toContain('evacuation e-1 of full: 0 moves, 1 unplaceable');
    expect(stdout).toMatch(/unplaceable: vm-9\n {2}error {2}INSUFFICIENT_MEMORY\n {6}no room\n {6}remedy: add a host/);
  });

  it('an API error is printed with its status and exits 1', async () => {
    const { code, stderr } = await ferry(['evacuate', 'h'], url);
    expect(code).toBe(1);
    expect(stderr).toContain('Cannot POST /v1/hosts/h/evacuate (404 not_found');
  });
});

describe('argument parsing and formatting', () => {
  it('exit 64 for usage errors, 0 for help', async () => {
    expect((await ferry([], 'http://unused')).code).toBe(64);
    expect((await ferry(['plan'], 'http://unused')).code).toBe(64);
    expect((await ferry(['plan', 'frob'], 'http://unused')).code).toBe(64);
    expect((await ferry(['hosts', 'show'], 'http://unused')).stderr).toContain('missing HOST');
    expect((await ferry(['events', '--after', 'x'], 'http://unused')).stderr).toContain(
      '--after must be a whole number',
    );
    expect((await ferry(['help', 'migrate'], 'http://unused')).stdout).toMatch(/^usage: ferry migrate GUEST --to HOST/);
    expect((await ferry(['plan', '--help'], 'http://unused')).code).toBe(0);
  });

  it('devices from --device pairs or flags', () => {
    expect(parseDevice({ device: 'kind=vfio,hostDevice=0000:81:00.0,iommuPlatform=off' })).toEqual({
      kind: 'vfio',
      hostDevice: '0000:81:00.0',
      iommuPlatform: false,
    });
    expect(parseDevice({ kind: 'virtio-net', 'iommu-platform': true, transitional: true })).toEqual({
      kind: 'virtio-net',
      iommuPlatform: true,
      transitional: true,
    });
    expect(() => parseDevice({ device: 'hostDevice=0000:81:00.0' })).toThrow(/device kind/);
  });

  it('sizes, percentages and tables', () => {
    expect(bytes('0x400000000')).toBe('16 GiB');
    expect(bytes(1536)).toBe('1.50 KiB');
    expect(size('263644028KiB')).toBe('251 GiB');
    expect(size('16GiB')).toBe('16 GiB');
    expect(percentDone(progress(1, 4))).toBe(75);
    expect(
      table(
        ['A', 'LONG'],
        [
          ['xyz', 1],
          [null, ''],
        ],
      ),
    ).toEqual(['A    LONG', 'xyz  1', '-']);
  });
});
