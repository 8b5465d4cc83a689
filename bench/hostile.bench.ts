// Hostile requests against the compiled server in its own process: what 32 MB bodies cost with and
// without a token (peak RSS, time to answer, bytes the server let in), and how fast a 100,000-character
// kernel release or 16 MB of digits is refused. Run: npm run bench -- hostile
import { execSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PORT = 18_479;
const TOKEN = 'fry_hostile_bench_admin_token_0123456789abcdef';
const BODY = 32 * 1024 * 1024;

/** Resident and peak resident memory of a process, in MiB. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** Sends a 32 MB JSON array as fast as the server takes it; resolves with the answer and what got through. */
function bigBody(authorization?: string): Promise<{ status: number | string; sentMiB: number; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(BODY) };
    if (authorization) headers.authorization = authorization;
    const req = request({ host: '127.0.0.1', port: PORT, path: '/v1/fleet', method: 'POST', headers });
    const chunk = Buffer.from('0,'.repeat(512 * 1024));
    let sent = 0;
    let status: number | undefined;
    const done = () =>
      resolve({ status: status ?? 'reset', sentMiB: sent / 2 ** 20, ms: Math.round(performance.now() - started) });
    req.on('response', (response) => {
      status = response.statusCode;
      response.resume();
      response.on('end', done);
    });
    req.on('error', done);
    req.write('[');
    sent = 1;
    const pump = () => {
      while (sent + chunk.length < BODY) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end(`${'0'.repeat(BODY - sent - 1)}]`);
      sent = BODY;
    };
    pump();
  });
}

async function timed(path: string, body: unknown): Promise<string> {
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${PORT}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return `${response.status} in ${Math.round(performance.now() - started)} ms, ${text.length} bytes answered`;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-hostile-'));
  execSync('npx tsc -b', { stdio: 'inherit' });
  const server = spawn(process.execPath, ['apps/api/dist/main.js'], {
    env: {
      ...process.env,
      PORT: String(PORT),
      FERRY_SQLITE_PATH: join(dir, 'f.sqlite'),
      FERRY_ADMIN_TOKEN: TOKEN,
      FERRY_LOG: 'silent',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${PORT}/health`)).ok) break;
      } catch {
        // not up yet
      }
      if (i > 200) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const mib = (n: number) => `${n.toFixed(0)} MiB`;
    const idle = memoryOf(server.pid!);
    console.log(`idle server: RSS ${mib(idle.rss)}`);
    const row = (label: string, results: Awaited<ReturnType<typeof bigBody>>[], before: number) => {
      const after = memoryOf(server.pid!);
      const slowest = Math.max(...results.map((r) => r.ms));
      const sent = Math.max(...results.map((r) => r.sentMiB));
      console.log(
        `${label.padEnd(34)} answers ${[...new Set(results.map((r) => r.status))].join('/')}  slowest ${String(slowest).padStart(5)} ms  most let in ${sent.toFixed(1).padStart(5)} MiB  peak RSS ${mib(after.peak)} (+${mib(after.peak - before)})`,
      );
    };
    // Strangers first (the peak RSS only grows), then the baseline: a token holder's bodies are parsed.
    let before = memoryOf(server.pid!).peak;
    row('4 × 32 MB, no token', await Promise.all([1, 2, 3, 4].map(() => bigBody())), before);
    before = memoryOf(server.pid!).peak;
    row('4 × 32 MB, forged token', await Promise.all([1, 2, 3, 4].map(() => bigBody('Bearer fry_forged'))), before);
    before = memoryOf(server.pid!).peak;
    row(
      '4 × 32 MB, admin token (baseline)',
      await Promise.all([1, 2, 3, 4].map(() => bigBody(`Bearer ${TOKEN}`))),
      before,
    );
    const host = {
      id: 'h',
      arch: 'x86_64',
      cpuVendor: 'intel',
      memory: '64GiB',
      kernel: '6.8.0',
      iommu: { model: 'none' },
    };
    console.log(
      `kernel of 100,000 characters:      ${await timed('/v1/hosts', { ...host, kernel: `1.${'1'.repeat(100_000)}!` })}`,
    );
    console.log(
      `memory of 16,000,000 digits:       ${await timed('/v1/hosts', { ...host, memory: '9'.repeat(16_000_000) })}`,
    );
    console.log(`a valid host (baseline):           ${await timed('/v1/hosts', host)}`);
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
