import { describe, expect, it } from 'vitest';
import type { MigrationRunEvent } from '../migration/migration-report.js';
import type { MigrationSpec } from '../migration/migration-spec.js';
import { hotplug } from '../hotplug/hotplug.js';
import { GiB } from '../units.js';
import { EmulatorBackend } from './execution-backend.js';
import type { Scheduler } from './scheduler.js';

const spec: MigrationSpec = {
  ramBlocks: [{ name: 'pc.ram', gpa: 0n, size: GiB }],
  initialContent: 'filled',
  workload: { kind: 'uniform', pagesPerSecond: 8_000, seed: 4 },
};

describe('EmulatorBackend.startMigration', () => {
  it('streams the same progress to listeners and to the async iterator, ending with the result', async () => {
    const handle = new EmulatorBackend().startMigration(spec);
    const heard: MigrationRunEvent[] = [];
    handle.onProgress((event) => heard.push(event));
    const iterated: MigrationRunEvent[] = [];
    for await (const event of handle.events()) iterated.push(event);
    const result = await handle.result;
    expect(result.status).toBe('completed');
    expect(iterated).toEqual(heard);
    expect(iterated.filter((e) => e.type === 'dirty-sync')).toHaveLength(result.info.ram.dirtySyncCount);
    expect(iterated.at(-1)).toMatchObject({ type: 'status-changed', to: 'completed' });
  });

  it('gives the event loop back between slices', async () => {
    let heartbeats = 0;
    let running = true;
    const beat = (): void => {
      heartbeats++;
      if (running) setImmediate(beat);
    };
    setImmediate(beat);
    const result = await new EmulatorBackend({ sliceMs: 500 }).startMigration(spec).result;
    running = false;
    // ~9 s of virtual time in 500 ms slices: the heartbeat ran between them.
    expect(heartbeats).toBeGreaterThan(result.info.totalTimeMs / 500 / 2);
  });

  it('can be cancelled from a progress listener', async () => {
    const handle = new EmulatorBackend().startMigration({
      ...spec,
      workload: { kind: 'uniform', pagesPerSecond: 80_000, seed: 4 },
    });
    handle.onProgress((event) => {
      if (event.type === 'dirty-sync' && event.iteration.iteration === 3) handle.cancel();
    });
    const result = await handle.result;
    expect(result.status).toBe('cancelled');
    expect(result.source).toBe('running');
    expect(result.iterations).toHaveLength(3);
  });

  it('paces virtual time against wall time at the requested speed', async () => {
    let wall = 0;
    let slept = 0;
    const fakeClock: Scheduler = {
      yield: () => Promise.resolve(),
      sleep: async (ms) => {
        slept += ms;
        wall += ms;
      },
      now: () => wall,
    };
    const result = await new EmulatorBackend({ scheduler: fakeClock, speed: 10, sliceMs: 100 }).startMigration(spec)
      .result;
    // Simulated time / 10, give or take the last slice.
    expect(Math.abs(slept - result.info.totalTimeMs / 10)).toBeLessThan(100);
  });
});

describe('EmulatorBackend.hotplug', () => {
  it('answers like the synchronous model', async () => {
    const guest = {
      id: 'g1',
      status: 'running' as const,
      crashReason: null,
      ramBlocks: [{ name: 'pc.ram', gpa: 0n, size: GiB }],
      pcieRootPorts: [{ id: 'rp0', deviceId: null }],
      devices: [],
      vfio: null,
      restrictedMemoryAccess: false,
    };
    const request = {
      guest,
      host: {
        id: 'h1',
        arch: 'x86_64' as const,
        iommuAddressWidthBits: 48,
        reservedRegions: [],
        kernelEnforcesIovaRanges: true,
        interruptRemapping: true,
        allowUnsafeInterrupts: false,
        vfioBackends: ['type1v2' as const],
      },
      device: { kind: 'vfio-pci' as const, id: 'nic0', bus: 'rp0', hostAddress: '0000:81:00.0', group: { id: 12 } },
    };
    expect(await new EmulatorBackend().hotplug(request)).toEqual(hotplug(request));
  });
});
