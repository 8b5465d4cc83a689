import { spawn, type ChildProcess } from 'node:child_process';

/** A real `apps/worker` process (from source), for tests that kill and restart workers. */
export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startWorker(env: Record<string, string>, startTimeoutMs = 20_000): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--conditions=ferry-source', '--import', 'tsx', 'apps/worker/src/main.ts'], {
    env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.base.json', FERRY_LOG: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + startTimeoutMs;
  while (!output.includes('running')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`worker did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    output: () => output,
    kill: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
