import { expect, it } from 'vitest';
import { sleep, waitFor } from '../../../../test/support/wait-for.js';
import { describeWithQemu, useVms } from '../qemu.spec-support.js';
import {
  buildTestGuest,
  measuredDirtyRate,
  parseGuestProgress,
  parseGuestStatus,
  TEST_GUEST_STATUS_ADDRESS,
  testGuestAppend,
  type GuestProgress,
} from './test-guest.js';

describeWithQemu('test guest (Multiboot kernel dirtying memory at a set rate)', () => {
  const vms = useVms();

  it('dirties about 5000 pages/s by its own clock and by the host clock', async () => {
    const kernel = await buildTestGuest();
    const vm = await vms.start({
      name: 'guest-rate',
      memoryMiB: 512,
      kernel,
      append: testGuestAppend({ workingSetMiB: 256, pagesPerSecond: 5000 }),
      debugcon: true,
    });
    // Note when each progress line shows up on the host, to time the guest by the host clock.
    const arrivals: Array<GuestProgress & { hostMs: number }> = [];
    const deadline = performance.now() + 5000;
    while (arrivals.length < 4 && performance.now() < deadline) {
      for (const sample of parseGuestProgress(vm.readDebugcon()).slice(arrivals.length))
        arrivals.push({ ...sample, hostMs: performance.now() });
      await sleep(10);
    }
    expect(arrivals.length, 'progress lines within 5 s').toBe(4);

    const first = arrivals[0]!;
    const last = arrivals.at(-1)!;
    const guestClockRate = measuredDirtyRate(arrivals)!;
    const hostClockRate = ((last.pages - first.pages) * 1000) / (last.hostMs - first.hostMs);
    expect(vm.readDebugcon()).toMatch(/^ferry-guest ws_mib=256 rate=5000 pace=0 hpet_period_fs=\d+$/m);
    expect(guestClockRate).toBeGreaterThan(5000 * 0.8);
    expect(guestClockRate).toBeLessThan(5000 * 1.2);
    expect(hostClockRate).toBeGreaterThan(5000 * 0.8);
    expect(hostClockRate).toBeLessThan(5000 * 1.2);
    expect(await vm.runState()).toBe('running');
    console.info(
      `test guest at rate=5000: ${guestClockRate.toFixed(0)} pages/s by its HPET, ${hostClockRate.toFixed(0)} pages/s by the host clock (${vm.accelerator})`,
    );
  });

  it('paces by vCPU work when asked, and keeps its sweep position where the host can read it', async () => {
    const vm = await vms.start({
      name: 'guest-vcpu',
      memoryMiB: 64,
      kernel: await buildTestGuest(),
      append: testGuestAppend({ workingSetMiB: 16, pagesPerSecond: 5000, pacing: 'vcpu' }),
      debugcon: true,
    });
    const samples = await waitFor(
      () => parseGuestProgress(vm.readDebugcon()),
      (lines) => lines.length >= 3,
      8000,
      { message: 'no progress lines from the vCPU-bound guest' },
    );
    expect(vm.readDebugcon()).toMatch(/^calibrated spins_per_page=\d+$/m);
    // Calibrated once at boot against the HPET: on a busy host the vCPU gets less time, so it is looser.
    const rate = measuredDirtyRate(samples)!;
    expect(rate).toBeGreaterThan(5000 * 0.4);
    expect(rate).toBeLessThan(5000 * 2);
    const xp = await vm.qmp.execute<string>('human-monitor-command', {
      'command-line': `xp /2wx ${TEST_GUEST_STATUS_ADDRESS}`,
    });
    const status = parseGuestStatus(xp)!;
    expect(status.written).toBeGreaterThanOrEqual(samples.at(-1)!.pages);
    expect(status.cursor).toBe(status.written % (16 * 256));
  });

  it('stays idle with rate=0 and clamps the working set to its RAM', async () => {
    const kernel = await buildTestGuest();
    const vm = await vms.start({
      name: 'guest-idle',
      memoryMiB: 64,
      kernel,
      append: testGuestAppend({ workingSetMiB: 1024, pagesPerSecond: 0 }),
      debugcon: true,
    });
    const output = await waitFor(
      () => vm.readDebugcon(),
      (text) => text.includes('idle'),
      5000,
      { message: 'guest never reported idle' },
    );
    await sleep(1200);
    expect(output).toContain('ws clamped to the RAM above 16 MiB');
    expect(output).toMatch(/ws_mib=4\d rate=0/);
    expect(parseGuestProgress(vm.readDebugcon())).toEqual([]);
    expect(await vm.runState()).toBe('running');
  });
});
