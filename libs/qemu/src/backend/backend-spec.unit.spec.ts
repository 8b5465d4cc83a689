import { describe, expect, it } from 'vitest';
import { MiB, type MigrationSpec } from '@ferry/emulator';
import { planBackendGuest } from './backend-guest.js';
import { backendParametersFor } from './backend-parameters.js';

const spec = (extra: Partial<MigrationSpec> = {}): MigrationSpec => ({
  ramBlocks: [{ name: 'ram', gpa: 0n, size: 512n * MiB }],
  workload: { kind: 'sweep', pagesPerSecond: 5000, region: { offsetBytes: 16n * MiB, sizeBytes: 256n * MiB } },
  ...extra,
});

describe('the test guest the QEMU backend runs for a migration spec', () => {
  it('sizes RAM from the guest blocks (not the firmware ones) and sweeps the working set at the given rate', () => {
    const plan = planBackendGuest(
      spec({
        ramBlocks: [
          { name: 'pc.ram', gpa: 0n, size: 512n * MiB },
          { name: 'pc.bios', gpa: 0xfffc0000n, size: 256n * 1024n },
          { name: '/rom@etc/acpi/tables', gpa: 0x2_0000_0000n, size: 128n * 1024n },
        ],
        initialContent: 'filled',
      }),
      512,
    );
    expect(plan).toEqual({
      memoryMiB: 512,
      requestedMiB: 512,
      workingSetMiB: 256,
      pagesPerSecond: 5000,
      waitForFill: true,
      pacing: 'clock',
      notes: [expect.stringContaining('only the working set is written')],
    });
  });

  it('runs the guest vCPU-bound or clock-paced as the spec says, and vCPU-bound under auto-converge by default', () => {
    const sweep = { kind: 'sweep', pagesPerSecond: 5000 } as const;
    expect(planBackendGuest(spec({ workload: { ...sweep, pacing: 'vcpu' } }), 512).pacing).toBe('vcpu');
    expect(planBackendGuest(spec({ workload: { ...sweep, pacing: 'clock' } }), 512).pacing).toBe('clock');
    expect(planBackendGuest(spec({ workload: sweep }), 512).pacing).toBe('clock');
    expect(
      planBackendGuest(spec({ workload: sweep, parameters: { autoConverge: { enabled: true } } }), 512).pacing,
    ).toBe('vcpu');
    const mixed = planBackendGuest(spec({ workload: { ...sweep, pacing: { vcpuShare: 0.3 } } }), 512);
    expect(mixed.pacing).toBe('clock');
    expect(mixed.notes).toContainEqual(expect.stringContaining('mixed (30 % vCPU-bound) runs as clock-paced'));
  });

  it('names written regions the test guest leaves zero, not the working set or firmware ones', () => {
    const written = (regions: { offsetBytes: bigint; sizeBytes: bigint }[]) =>
      planBackendGuest(spec({ initialContent: { written: regions } }), 512).notes;
    expect(
      written([
        { offsetBytes: 0xe0000n, sizeBytes: 4096n },
        { offsetBytes: 16n * MiB, sizeBytes: 256n * MiB },
        { offsetBytes: 512n * MiB, sizeBytes: 4096n },
      ]),
    ).toEqual([]);
    expect(written([{ offsetBytes: 300n * MiB, sizeBytes: 100n * MiB }])).toEqual([
      expect.stringContaining('initialContent regions not reproduced'),
    ]);
  });

  it('names every spec field QEMU cannot reproduce here', () => {
    const notes = backendParametersFor(
      spec({ parameters: { perChannelBandwidth: 1e8, deviceStateBytes: 1024n, switchoverOverheadMs: 5, setupMs: 20 } }),
    ).notes;
    expect(notes).toEqual([
      expect.stringContaining('perChannelBandwidth not reproduced'),
      expect.stringContaining('deviceStateBytes not reproduced'),
      expect.stringContaining('switchover costs not reproduced'),
      expect.stringContaining('setupMs not reproduced'),
    ]);
    expect(backendParametersFor(spec()).notes).toEqual([]);
  });

  it('waits for no fill when the spec says memory starts zero, or the guest is idle', () => {
    expect(planBackendGuest(spec(), 512).waitForFill).toBe(false);
    expect(planBackendGuest(spec({ initialContent: 'filled', workload: { kind: 'idle' } }), 512)).toMatchObject({
      pagesPerSecond: 0,
      waitForFill: false,
    });
  });

  it('scales a guest this machine cannot hold down to the cap, and says so', () => {
    const plan = planBackendGuest(
      spec({
        ramBlocks: [{ name: 'ram', gpa: 0n, size: 4096n * MiB }],
        workload: { kind: 'hot-set', pagesPerSecond: 2000, hotBytes: 1024n * MiB, hotFraction: 0.9 },
      }),
      512,
    );
    expect(plan).toMatchObject({ memoryMiB: 512, requestedMiB: 4096, workingSetMiB: 496, pagesPerSecond: 2000 });
    expect(plan.notes).toEqual([
      'guest RAM capped from 4096 MiB to 512 MiB (what this machine runs)',
      'hot-set writes run as a sweep over the hot set at the full rate',
      'working set clamped from 1024 MiB to the 496 MiB above 16 MiB',
    ]);
  });

  it('refuses a spec without guest RAM', () => {
    expect(() =>
      planBackendGuest(spec({ ramBlocks: [{ name: 'pc.bios', gpa: 0n, size: 256n * 1024n }] }), 512),
    ).toThrow(/no guest RAM block/);
  });
});

describe("a migration spec's parameters in QEMU's terms", () => {
  it("fills in QEMU's defaults and passes the throttle knobs to the source", () => {
    const mapped = backendParametersFor(
      spec({ parameters: { autoConverge: { enabled: true, initial: 30, increment: 5 } } }),
    );
    expect(mapped.parameters).toEqual({
      maxBandwidthBytesPerSec: 128 * 1024 * 1024,
      downtimeLimitMs: 300,
      autoConverge: true,
      postcopy: false,
      multifdChannels: 0,
    });
    expect(mapped.sourceParameters).toEqual({ 'cpu-throttle-initial': 30, 'cpu-throttle-increment': 5 });
  });

  it('caps max-bandwidth at the link and keeps post-copy over multifd, which QEMU 7.2 cannot combine', () => {
    const mapped = backendParametersFor(
      spec({
        parameters: {
          maxBandwidth: 10e9,
          linkBandwidth: 1.25e9,
          multifdChannels: 2,
          postcopy: { enabled: true, switchAfterIterations: 1 },
        },
      }),
    );
    expect(mapped.parameters).toMatchObject({ maxBandwidthBytesPerSec: 1.25e9, postcopy: true, multifdChannels: 0 });
    expect(mapped.postcopy).toEqual({ enabled: true, switchAfterIterations: 1, switchWhenNotConverging: false });
    expect(mapped.notes).toEqual([
      expect.stringContaining('multifd (2 channels) dropped'),
      expect.stringContaining('linkBandwidth not reproduced beyond max-bandwidth'),
    ]);
  });
});
