// How fast the emulator simulates big guests: a hot-set workload migrated over a 10 Gbit/s
// link with max-bandwidth raised to the link, through to completion.
// Run: npx tsx --conditions=ferry-source bench/emulator.bench.ts
import { GiB, gbitPerSecond, runMigration, type MigrationSpec } from '@ferry/emulator';

const LINK = gbitPerSecond(10);

function spec(ramBytes: bigint): MigrationSpec {
  return {
    ramBlocks: [{ name: 'pc.ram', gpa: 0n, size: ramBytes }],
    initialContent: 'filled',
    // A busy database-like guest: 400 MB/s of writes, 95 % of them into a 4 GiB hot set.
    workload: { kind: 'hot-set', pagesPerSecond: 100_000, hotBytes: 4n * GiB, hotFraction: 0.95, seed: 1 },
    parameters: { linkBandwidth: LINK, maxBandwidth: LINK, downtimeLimitMs: 500 },
    limits: { maxIterations: 100 },
  };
}

const rows: Record<string, string | number>[] = [];
for (const [label, size] of [
  ['64 GiB', 64n * GiB],
  ['1 TiB', 1024n * GiB],
] as const) {
  const started = performance.now();
  const result = runMigration(spec(size));
  const wallMs = performance.now() - started;
  rows.push({
    guest: label,
    status: result.status,
    'simulated s': +(result.info.totalTimeMs / 1000).toFixed(1),
    'downtime ms': result.info.downtimeMs ?? '-',
    'dirty syncs': result.info.ram.dirtySyncCount,
    'wall ms': Math.round(wallMs),
    'sim s / wall s': Math.round(result.info.totalTimeMs / wallMs),
    'peak RSS MiB': Math.round(process.resourceUsage().maxRSS / 1024),
  });
}
console.table(rows);
console.log('targets: 1 TiB in < 5 s wall and < 512 MiB peak RSS (peak RSS is cumulative over the process)');
