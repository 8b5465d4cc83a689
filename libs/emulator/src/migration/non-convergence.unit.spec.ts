// A guest that dirties memory as fast as the link sends it: pre-copy alone never finishes;
// a larger downtime-limit, post-copy or auto-converge does.
import { describe, expect, it } from 'vitest';
import { GiB, MiB, PAGE_SIZE } from '../units.js';
import { MigrationSimulation } from './migration-simulation.js';
import type { MigrationSpec } from './migration-spec.js';
import { QEMU_Q35_SWITCHOVER, switchoverFixedMs } from './switchover-cost.js';
import { predictMigration, runMigration } from './run-migration.js';

const B = 128 * 1024 * 1024;
const PAGES_PER_SECOND_AT_B = B / (PAGE_SIZE + 8);
const WORKING_SET = GiB;

/** 4 GiB guest rewriting a 1 GiB working set at twice the page rate the migration sends. */
const fastDirtier = (spec: Partial<MigrationSpec> = {}): MigrationSpec => ({
  ramBlocks: [{ name: 'pc.ram', gpa: 0n, size: 4n * GiB }],
  initialContent: 'filled',
  workload: {
    kind: 'uniform',
    pagesPerSecond: 2 * PAGES_PER_SECOND_AT_B,
    region: { offsetBytes: 0n, sizeBytes: WORKING_SET },
    seed: 5,
  },
  limits: { maxIterations: 10 },
  ...spec,
});

describe('a dirty rate at or above the bandwidth', () => {
  it('does not converge by itself: stays active, source running, after the iteration limit', () => {
    const result = runMigration(fastDirtier());
    expect(result.status).toBe('active');
    expect(result.stopReason).toBe('iteration-limit');
    expect(result.converged).toBe(false);
    expect(result.source).toBe('running');
    expect(result.info.downtimeMs).toBeNull();
    // Every pass leaves far more than the 38.4 MiB threshold: most of the working set.
    for (const pass of result.iterations.slice(2)) expect(pass.remainingBytes).toBeGreaterThan(WORKING_SET / 2n);
  });

  it('is predicted not to converge', () => {
    const prediction = predictMigration(fastDirtier());
    expect(prediction.converged).toBe(false);
    expect(prediction.reason).toBe('iteration-limit');
    expect(prediction.downtimeMs).toBeNull();
    expect(prediction.message).toMatch(/does not converge/);
  });

  it('also reports a time limit when that comes first', () => {
    const result = runMigration(fastDirtier({ limits: { maxIterations: 1000, timeoutMs: 60_000 } }));
    expect(result.stopReason).toBe('time-limit');
    expect(result.info.totalTimeMs).toBe(60_000);
  });

  it('converges when the downtime limit lets the whole working set go in one stop (b × limit > W)', () => {
    const limitMs = 10_000; // 128 MiB/s × 10 s = 1.25 GiB > 1 GiB working set
    const result = runMigration(fastDirtier({ parameters: { downtimeLimitMs: limitMs } }));
    expect(result.status).toBe('completed');
    // What is left at the switch fits the threshold b × limit, and goes at 10 Gbit/s, after the fixed switchover steps.
    const thresholdWireBytes = ((B * limitMs) / 1000) * ((PAGE_SIZE + 8) / PAGE_SIZE);
    const fixedMs = switchoverFixedMs(QEMU_Q35_SWITCHOVER, Number((4n * GiB) / 4096n));
    expect(result.info.downtimeMs!).toBeLessThanOrEqual(Math.ceil(thresholdWireBytes / 1.25e6 + fixedMs));
    expect(result.info.downtimeMs!).toBeLessThan(limitMs);
  });

  it('completes with post-copy: remaining pages arrive by remote faults and background push', () => {
    const deviceState = 100n * MiB;
    const result = runMigration(
      fastDirtier({
        parameters: { postcopy: { enabled: true, switchWhenNotConverging: true }, deviceStateBytes: deviceState },
      }),
    );
    expect(result.status).toBe('completed');
    expect(result.converged).toBe(true);
    const postcopy = result.postcopy!;
    expect(postcopy.faultCount).toBeGreaterThan(0);
    expect(result.info.ram.postcopyRequests).toBe(postcopy.faultCount);
    expect(BigInt(postcopy.faultCount) * 4096n).toBeLessThanOrEqual(postcopy.remainingAtSwitchBytes);
    // Post-copy's pause only carries device state (100 MiB at 10 Gbit/s), plus stopping, device save/load and resuming.
    const fixedMs = switchoverFixedMs(
      QEMU_Q35_SWITCHOVER,
      result.info.ram.totalBytes > 0n ? Number(result.info.ram.totalBytes / 4096n) : 0,
    );
    expect(result.info.downtimeMs).toBe(Math.ceil(Number(deviceState) / 1.25e6 + fixedMs));
    expect(result.info.ram.remainingBytes).toBe(0n);
    expect(
      predictMigration(fastDirtier({ parameters: { postcopy: { enabled: true, switchWhenNotConverging: true } } }))
        .reason,
    ).toBe('completed-in-postcopy');
  });

  it('switches to post-copy after a fixed number of passes when asked to', () => {
    const result = runMigration(fastDirtier({ parameters: { postcopy: { enabled: true, switchAfterIterations: 1 } } }));
    expect(result.status).toBe('completed');
    // Setup sync, bulk-pass sync, one more pass, then the switch's own sync.
    expect(result.iterations.map((i) => i.iteration)).toEqual([1, 2, 3, 4]);
  });
});

describe('auto-converge', () => {
  /** A CPU-bound dirtier: uniform writes over all RAM at three times the sending rate. */
  const cpuBound = (autoConverge: boolean): MigrationSpec => ({
    ramBlocks: [{ name: 'pc.ram', gpa: 0n, size: 4n * GiB }],
    initialContent: 'filled',
    workload: { kind: 'uniform', pagesPerSecond: 3 * PAGES_PER_SECOND_AT_B, seed: 9 },
    parameters: { autoConverge: { enabled: autoConverge } },
    limits: { maxIterations: 60 },
  });

  it('throttles 20 %, then +10 % per trigger, until the guest dirties slower than b, and converges', () => {
    const result = runMigration(cpuBound(true));
    expect(result.status).toBe('completed');
    expect(result.throttleSteps[0]).toBe(20);
    result.throttleSteps.forEach((step, i) => expect(step).toBe(Math.min(20 + 10 * i, 99)));
    const finalThrottle = result.throttleSteps[result.throttleSteps.length - 1]! / 100;
    // Pre-copy can only converge once the throttled dirty rate r·(1 − t) is below b.
    expect(3 * (1 - finalThrottle)).toBeLessThan(1);
    expect(predictMigration(cpuBound(true)).reason).toBe('converged-with-throttle');
  });

  it('is what makes the difference: without it the same guest never converges', () => {
    const result = runMigration(cpuBound(false));
    expect(result.converged).toBe(false);
    expect(result.throttleSteps).toEqual([]);
    expect(result.info.cpuThrottlePercentage).toBe(0);
  });

  it('needs two "too fast" periods before each step (QEMU dirty_rate_high_cnt)', () => {
    const result = runMigration(cpuBound(true));
    const firstThrottled = result.iterations.find((i) => i.cpuThrottlePercentage > 0)!;
    // Sync 1 ends setup; syncs 2 and 3 close the first two ≥ 1 s periods.
    expect(firstThrottled.iteration).toBe(3);
  });
});

describe('migrate-set-parameters while migrating', () => {
  it('lets a stalled migration converge once the downtime limit is raised so that b × limit > W', () => {
    const simulation = new MigrationSimulation(fastDirtier({ limits: { maxIterations: 100 } }));
    while (simulation.info().ram.dirtySyncCount < 5) simulation.step();
    expect(simulation.status).toBe('active');
    simulation.setParameters({ downtimeLimitMs: 10_000 });
    const result = simulation.run();
    expect(result.status).toBe('completed');
    expect(result.info.ram.dirtySyncCount).toBeLessThan(10);
  });

  it('applies a new max-bandwidth at once: a pass at half the rate takes twice as long', () => {
    const idle = (): MigrationSpec => ({
      ramBlocks: [{ name: 'pc.ram', gpa: 0n, size: 2n * GiB }],
      initialContent: 'filled',
      workload: { kind: 'idle' },
    });
    const full = new MigrationSimulation(idle()).run();
    const halved = new MigrationSimulation(idle());
    halved.setParameters({ maxBandwidth: B / 2 });
    const slow = halved.run();
    expect(slow.iterations[1]!.durationMs / full.iterations[1]!.durationMs).toBeCloseTo(2, 1);
  });
});
