// Pre-copy against closed forms: time ≈ RAM / bandwidth, remaining shrinks by r/b per pass,
// zero pages cost a header, the final copy runs at link speed.
import { describe, expect, it } from 'vitest';
import { GiB, MiB, PAGE_SIZE } from '../units.js';
import { runMigration } from './run-migration.js';
import { MULTIFD_NORMAL_PAGE_WIRE_BYTES, MULTIFD_PACKET_HEADER_BYTES, multifdSyncWaitMs } from './multifd.js';
import { QEMU_Q35_SWITCHOVER, switchoverFixedMs } from './switchover-cost.js';
import type { MigrationSpec } from './migration-spec.js';

const B = 128 * 1024 * 1024; // QEMU's default max-bandwidth
const LINK = 1.25e9; // 10 Gbit/s
const WIRE_PAGE = PAGE_SIZE + 8; // 4 KiB + page header
const PAGES_PER_SECOND_AT_B = B / WIRE_PAGE;

const guest = (size: bigint, spec: Partial<MigrationSpec> = {}): MigrationSpec => ({
  ramBlocks: [{ name: 'pc.ram', gpa: 0n, size }],
  initialContent: 'filled',
  workload: { kind: 'idle' },
  ...spec,
});

describe('pre-copy of a guest that does not write', () => {
  it('moves a never-written guest as zero-page headers only (9 bytes a page)', () => {
    const result = runMigration(guest(4n * GiB, { initialContent: 'zero' }));
    const pages = Number((4n * GiB) / 4096n);
    expect(result.status).toBe('completed');
    expect(result.info.ram.duplicatePages).toBe(pages);
    expect(result.info.ram.normalPages).toBe(0);
    expect(result.info.ram.transferredBytes).toBe(BigInt(pages * 9));
    expect(result.info.ram.transferredBytes).toBeLessThan((4n * GiB) / 400n);
  });

  it('takes RAM / max-bandwidth for a filled guest, with the setup sync, one pass sync and the final sync', () => {
    const ram = 4n * GiB;
    const result = runMigration(guest(ram));
    const expectedMs = ((Number(ram) * WIRE_PAGE) / PAGE_SIZE / B) * 1000;
    expect(result.status).toBe('completed');
    expect(Math.abs(result.info.totalTimeMs - expectedMs) / expectedMs).toBeLessThan(0.02);
    expect(result.info.ram.dirtySyncCount).toBeGreaterThanOrEqual(2);
    expect(result.info.ram.dirtySyncCount).toBeLessThanOrEqual(3);
    expect(result.info.ram.normalPages).toBe(Number(ram / 4096n));
  });

  it('reports mbps as the rate-limited throughput (max-bandwidth in megabits)', () => {
    const result = runMigration(guest(2n * GiB));
    expect(result.info.ram.mbps).toBeCloseTo((B * 8) / 1e6, -1);
  });

  it('runs the final stop-and-copy at link speed, not at max-bandwidth', () => {
    const deviceState = 64n * MiB;
    const result = runMigration(guest(2n * GiB, { parameters: { deviceStateBytes: deviceState } }));
    const last = result.iterations[result.iterations.length - 1]!;
    const finalBytes = (Number(last.remainingBytes) / PAGE_SIZE) * WIRE_PAGE + Number(deviceState);
    const fixedMs = switchoverFixedMs(QEMU_Q35_SWITCHOVER, Number((2n * GiB) / 4096n));
    expect(result.info.downtimeMs).toBe(Math.ceil(finalBytes / (LINK / 1000) + fixedMs));
    // At max-bandwidth the same bytes would take ~10× longer.
    expect(result.info.downtimeMs!).toBeLessThan(finalBytes / (B / 1000) / 5);
  });

  it('lets multifd streams share the link: throughput = min(link, channels × per-stream cap)', () => {
    const perChannel = 200e6;
    const ram = 8n * GiB;
    const result = runMigration(
      guest(ram, {
        parameters: { maxBandwidth: LINK, linkBandwidth: LINK, multifdChannels: 4, perChannelBandwidth: perChannel },
      }),
    );
    // Pages cost 4096 + 1344/128 bytes in packets; each ram_save_iterate (50 ms of sending, MAX_WAIT)
    // ends with multifd_send_sync_main, which stalls the stream for half a packet's time.
    const sendingMs = ((Number(ram) * MULTIFD_NORMAL_PAGE_WIRE_BYTES) / PAGE_SIZE / (4 * perChannel)) * 1000;
    const expectedMs = sendingMs * (1 + multifdSyncWaitMs(perChannel) / 50);
    expect(multifdSyncWaitMs(perChannel)).toBeCloseTo(((128 * (4096 + 10.5)) / perChannel / 2) * 1000, 9);
    expect(Math.abs(result.info.totalTimeMs - expectedMs) / expectedMs).toBeLessThan(0.01);
  });

  it('sends multifd SYNC packets (1344 bytes per channel) at the end of every ram_save_iterate', () => {
    const ram = 1n * GiB;
    const plain = runMigration(guest(ram));
    const multifd = runMigration(guest(ram, { parameters: { multifdChannels: 4 } }));
    const pages = Number(ram / 4096n);
    const pageHeaders = pages * (MULTIFD_NORMAL_PAGE_WIRE_BYTES - WIRE_PAGE);
    const syncs = Number(multifd.info.ram.transferredBytes - plain.info.ram.transferredBytes) - pageHeaders;
    // One SYNC round per 100 ms rate-limit window (the guest is rate-limited), and one in the final stage.
    const rounds = syncs / (4 * MULTIFD_PACKET_HEADER_BYTES);
    expect(rounds).toBeGreaterThanOrEqual(multifd.info.totalTimeMs / 100);
    expect(rounds).toBeLessThanOrEqual(multifd.info.totalTimeMs / 50 + 2);
  });
});

describe('pre-copy of a guest that writes slower than the link sends', () => {
  it('shrinks what is left by r/b per pass (sequential writer: every write is a new page)', () => {
    const r = PAGES_PER_SECOND_AT_B / 2;
    const result = runMigration(guest(8n * GiB, { workload: { kind: 'sweep', pagesPerSecond: r } }));
    expect(result.status).toBe('completed');
    const passes = result.iterations.filter((i) => i.transferredBytes >= GiB);
    expect(passes.length).toBeGreaterThanOrEqual(3);
    for (let k = 1; k < passes.length; k++) {
      const ratio = Number(passes[k]!.transferredBytes) / Number(passes[k - 1]!.transferredBytes);
      expect(ratio).toBeGreaterThan(0.5 * 0.95);
      expect(ratio).toBeLessThan(0.5 * 1.05);
    }
  });

  it('reports dirty-pages-rate as the writer rate when no write hits a page twice', () => {
    const r = PAGES_PER_SECOND_AT_B / 2;
    const result = runMigration(guest(8n * GiB, { workload: { kind: 'sweep', pagesPerSecond: r } }));
    expect(result.iterations[2]!.dirtyPagesRate).toBeCloseTo(r, -1);
  });

  it('dirties W·(1 − e^(−rT/W)) distinct pages in a pass of T seconds for uniform random writes', () => {
    const ram = 4n * GiB;
    const W = Number(ram / 4096n);
    const r = 8192; // pages/s, a quarter of the bandwidth
    const result = runMigration(guest(ram, { workload: { kind: 'uniform', pagesPerSecond: r, seed: 3 } }));
    const bulk = result.iterations[1]!;
    const expected = W * (1 - Math.exp((-r * bulk.durationMs) / 1000 / W));
    expect(Math.abs(bulk.newlyDirtyPages - expected) / expected).toBeLessThan(0.03);
    expect(result.status).toBe('completed');
  });

  it('switches over only once what is left fits bandwidth × downtime-limit', () => {
    const result = runMigration(guest(4n * GiB, { workload: { kind: 'uniform', pagesPerSecond: 8192, seed: 3 } }));
    const last = result.iterations[result.iterations.length - 1]!;
    const threshold = (B * 300) / 1000;
    expect(Number(last.remainingBytes)).toBeLessThanOrEqual(threshold * 1.01);
    for (const pass of result.iterations.slice(1, -2))
      expect(Number(pass.remainingBytes)).toBeGreaterThan(Number(pass.thresholdBytes));
  });
});
