// The models that came out of comparing the emulator with QEMU 7.2 beyond its calibration cases
// (bench/fidelity.ts): workload pacing under auto-converge, post-copy page requests, the fixed
// switchover cost, the sweep's phase. Each is pinned to its closed form.
import { describe, expect, it } from 'vitest';
import { GiB, MiB, PAGE_SIZE } from '../units.js';
import { pacedGuestMs, vcpuShareOf } from '../workload/pacing.js';
import type { WritePacing } from '../workload/workload-spec.js';
import type { MigrationSpec } from './migration-spec.js';
import { runMigration } from './run-migration.js';
import { QEMU_Q35_SWITCHOVER, switchoverFixedMs } from './switchover-cost.js';

const B = 64 * 1024 * 1024;
const PAGES_AT_B = B / (PAGE_SIZE + 8);

/** A 1 GiB guest sweeping all of its RAM at `ratio` × what max-bandwidth sends, with auto-converge. */
const throttled = (pacing: WritePacing, ratio: number): MigrationSpec => ({
  ramBlocks: [{ name: 'pc.ram', gpa: 0n, size: GiB }],
  initialContent: 'filled',
  workload: { kind: 'sweep', pagesPerSecond: ratio * PAGES_AT_B, pacing },
  parameters: { maxBandwidth: B, autoConverge: { enabled: true } },
  limits: { maxIterations: 200, timeoutMs: 300_000 },
});

describe('workload pacing under auto-converge', () => {
  it('slows only the vCPU-bound share of the writes: rate × (1 − throttle × share)', () => {
    expect(vcpuShareOf(undefined)).toBe(1);
    expect(vcpuShareOf('clock')).toBe(0);
    expect(pacedGuestMs(1000, 60, vcpuShareOf('vcpu'))).toBeCloseTo(400, 9);
    expect(pacedGuestMs(1000, 60, vcpuShareOf('clock'))).toBe(1000);
    expect(pacedGuestMs(1000, 60, vcpuShareOf({ vcpuShare: 0.25 }))).toBeCloseTo(850, 9);
    expect(() => vcpuShareOf({ vcpuShare: 1.5 })).toThrow(/vcpuShare/);
  });

  it('a vCPU-bound guest dirties r × (1 − throttle) per ms of a pass, a clock-paced one r whatever the throttle', () => {
    for (const [pacing, share] of [
      ['vcpu', 1],
      ['clock', 0],
    ] as const) {
      const result = runMigration(throttled(pacing, 0.9));
      expect(result.converged).toBe(true);
      expect(result.throttleSteps.length).toBeGreaterThan(0);
      const passes = result.iterations.slice(1, -1);
      let checked = 0;
      for (let i = 1; i < passes.length; i++) {
        const throttle = passes[i - 1]!.cpuThrottlePercentage; // in force during the pass that ends at i
        if (passes[i]!.durationMs < 1000) continue;
        const expected = (0.9 * PAGES_AT_B * pacedGuestMs(passes[i]!.durationMs, throttle, share)) / 1000;
        expect(Math.abs(passes[i]!.newlyDirtyPages - expected) / expected).toBeLessThan(0.03);
        if (throttle > 0) checked++;
      }
      expect(checked).toBeGreaterThan(0);
    }
  });

  it('converges a vCPU-bound guest dirtying faster than the link by throttling it; never a clock-paced one', () => {
    const vcpu = runMigration(throttled('vcpu', 1.3));
    const clock = runMigration(throttled('clock', 1.3));
    expect(vcpu.converged).toBe(true);
    expect(clock.converged).toBe(false);
    // QEMU's trigger looks at bytes dirtied against bytes sent, not at what paces them: it steps on both.
    expect(clock.throttleSteps.length).toBeGreaterThan(vcpu.throttleSteps.length);
  });
});

describe('post-copy page requests', () => {
  const sweepingGuest = (pagesPerSecond: number): MigrationSpec => ({
    ramBlocks: [{ name: 'pc.ram', gpa: 0n, size: 512n * MiB }],
    initialContent: 'filled',
    workload: { kind: 'sweep', pagesPerSecond, region: { offsetBytes: 16n * MiB, sizeBytes: 256n * MiB } },
    parameters: { maxBandwidth: B, linkBandwidth: 3e9, postcopy: { enabled: true, switchAfterIterations: 0 } },
  });

  it('asks once for a sequential sweep: the background send restarts after the requested page and stays ahead', () => {
    const result = runMigration(sweepingGuest(40_000));
    expect(result.postcopy).not.toBeNull();
    expect(result.postcopy!.remainingAtSwitchBytes).toBeGreaterThan(100n * MiB);
    expect(result.postcopy!.faultCount).toBe(1);
  });

  it('faults on every page the guest reaches first when it writes faster than the link sends', () => {
    const slowLink: MigrationSpec = {
      ...sweepingGuest(40_000),
      parameters: { maxBandwidth: B, linkBandwidth: 80e6, postcopy: { enabled: true, switchAfterIterations: 0 } },
    };
    const result = runMigration(slowLink);
    // 40 000 pages/s against 80 MB/s ≈ 19 500 pages/s: about half of what the guest touches faults.
    expect(result.postcopy!.faultCount).toBeGreaterThan(1000);
  });
});

describe('the fixed switchover cost', () => {
  it('adds stop + final sync (per page) + device save and load + resume to the bytes of the final stage', () => {
    const pages = Number((512n * MiB) / 4096n);
    const c = QEMU_Q35_SWITCHOVER;
    const fixed = switchoverFixedMs(c, pages);
    expect(fixed).toBeCloseTo(
      c.vmStopMs + (c.finalSyncNsPerPage * pages) / 1e6 + c.deviceSaveMs + c.deviceLoadMs + c.resumeMs,
      12,
    );
    const idle = runMigration({
      ramBlocks: [{ name: 'pc.ram', gpa: 0n, size: 512n * MiB }],
      workload: { kind: 'idle' },
    });
    expect(idle.info.downtimeMs).toBe(Math.ceil(fixed));
    // The final bitmap walk grows with the guest: a 1 TiB guest's takes ~65 ms on its own.
    expect(switchoverFixedMs(c, Number((1024n * GiB) / 4096n)) - fixed).toBeGreaterThan(60);
  });

  it('can be set to nothing, leaving the bytes alone', () => {
    const none = { vmStopMs: 0, finalSyncNsPerPage: 0, deviceSaveMs: 0, deviceLoadMs: 0, resumeMs: 0 };
    const idle = runMigration({
      ramBlocks: [{ name: 'pc.ram', gpa: 0n, size: 512n * MiB }],
      workload: { kind: 'idle' },
      parameters: { switchover: none, deviceStateBytes: 12_500_000n, linkBandwidth: 1.25e9 },
    });
    expect(idle.info.downtimeMs).toBe(10);
  });
});
