// Run states change a moment after query-migrate reports the end (the source restarts its
// vCPUs after a failure, the destination after loading), so poll until they settle.
import { setTimeout as sleep } from 'node:timers/promises';
import type { QemuVm, RunState } from '../process/qemu-vm.js';

export async function settledRunState(vm: QemuVm, expected: RunState[], timeoutMs: number): Promise<RunState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await vm.runState();
    if (expected.includes(state) || state === 'exited' || Date.now() >= deadline) return state;
    await sleep(50);
  }
}
