import { describe, expect, it } from 'vitest';
import { GiB } from '../units.js';
import { MigrationSimulation } from './migration-simulation.js';
import type { MigrationSpec } from './migration-spec.js';

const spec = (extra: Partial<MigrationSpec> = {}): MigrationSpec => ({
  ramBlocks: [{ name: 'pc.ram', gpa: 0n, size: 2n * GiB }],
  initialContent: 'filled',
  workload: { kind: 'uniform', pagesPerSecond: 60_000, region: { offsetBytes: 0n, sizeBytes: GiB / 2n }, seed: 1 },
  parameters: { autoConverge: { enabled: true } },
  ...extra,
});

const runUntil = (simulation: MigrationSimulation, virtualMs: number): void => {
  while (!simulation.finished && simulation.now < virtualMs) simulation.step();
};

describe('cancel', () => {
  it('stops a pre-copy mid-way: cancelled, the source keeps running unthrottled, nothing more is sent', () => {
    const simulation = new MigrationSimulation(spec());
    while (simulation.info().cpuThrottlePercentage === 0) simulation.step();
    runUntil(simulation, simulation.now + 1_000);
    expect(simulation.status).toBe('active');
    expect(simulation.info().cpuThrottlePercentage).toBeGreaterThan(0);
    expect(simulation.cancel()).toEqual({ accepted: true });
    const sent = simulation.info().ram.transferredBytes;
    simulation.step();
    const result = simulation.result();
    expect(result.status).toBe('cancelled');
    expect(result.source).toBe('running');
    expect(result.destination).toBe('shutdown');
    expect(result.info.cpuThrottlePercentage).toBe(0);
    expect(result.info.downtimeMs).toBeNull();
    expect(result.info.ram.transferredBytes).toBe(sent);
    expect(result.info.ram.remainingBytes).toBeGreaterThan(0n);
  });

  it('works during setup too', () => {
    const simulation = new MigrationSimulation(spec());
    expect(simulation.cancel().accepted).toBe(true);
    expect(simulation.result().status).toBe('cancelled');
  });

  it('is refused once post-copy started, because neither side holds the whole guest', () => {
    const simulation = new MigrationSimulation(
      spec({ parameters: { postcopy: { enabled: true, switchAfterIterations: 0 } } }),
    );
    while (simulation.status !== 'postcopy-active') simulation.step();
    expect(simulation.cancel().accepted).toBe(false);
    expect(simulation.run().status).toBe('completed');
  });

  it('is refused after completion', () => {
    const simulation = new MigrationSimulation(spec({ workload: { kind: 'idle' } }));
    simulation.run();
    expect(simulation.cancel().accepted).toBe(false);
    expect(simulation.status).toBe('completed');
  });
});

describe('network failure', () => {
  it('fails a pre-copy cleanly: the source runs on', () => {
    const result = new MigrationSimulation(spec({ networkFailureAtMs: 5_000 })).run();
    expect(result.status).toBe('failed');
    expect(result.stopReason).toBe('network-failure');
    expect(result.source).toBe('running');
  });

  it('pauses a post-copy: the guest waits on the destination for the missing pages', () => {
    const postcopy = spec({
      workload: { kind: 'uniform', pagesPerSecond: 100_000, seed: 1 },
      parameters: { postcopy: { enabled: true, switchAfterIterations: 0 }, linkBandwidth: 1e8 },
    });
    const rehearsal = new MigrationSimulation(postcopy);
    while (rehearsal.status !== 'postcopy-active') rehearsal.step();
    // Same run (deterministic), with the stream breaking 50 ms into post-copy.
    const result = new MigrationSimulation({ ...postcopy, networkFailureAtMs: rehearsal.now + 50 }).run();
    expect(result.status).toBe('postcopy-paused');
    expect(result.destination).toBe('paused');
    expect(result.info.ram.remainingBytes).toBeGreaterThan(0n);
  });
});

describe('iteration limit', () => {
  it('leaves the decision to the caller, who can still switch to post-copy', () => {
    const simulation = new MigrationSimulation(
      spec({
        parameters: { autoConverge: { enabled: false }, postcopy: { enabled: true } },
        workload: { kind: 'uniform', pagesPerSecond: 80_000, region: { offsetBytes: 0n, sizeBytes: GiB }, seed: 2 },
        limits: { maxIterations: 5 },
      }),
    );
    const stalled = simulation.run();
    expect(stalled.status).toBe('active');
    expect(stalled.stopReason).toBe('iteration-limit');
    expect(simulation.startPostcopy().accepted).toBe(true);
    const finished = simulation.run();
    expect(finished.status).toBe('completed');
    expect(finished.postcopy).not.toBeNull();
  });
});
