// QEMU processes must not outlive the Node process that started them, even when a test run
// crashes: every child is SIGKILLed on exit, and where util-linux's setpriv exists the child
// also gets PR_SET_PDEATHSIG=SIGKILL, which covers Node itself being killed.
import type { ChildProcess } from 'node:child_process';
import { findBinary } from './find-binary.js';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export function trackChild(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const running of live) running.kill('SIGKILL');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** The command and arguments to spawn so the child dies with us. */
export function withParentDeathSignal(binary: string, args: string[]): { command: string; args: string[] } {
  const setpriv = findBinary('setpriv');
  return setpriv
    ? { command: setpriv, args: ['--pdeathsig', 'KILL', '--', binary, ...args] }
    : { command: binary, args };
}
