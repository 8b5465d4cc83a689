// Fleet conflict matrix at fleet scale: 10,000 hosts × 100,000 guests built from hardware models and
// guest templates (libs/planner/src/test-support/template-fleet.ts: tens of models, each in service
// with several kernels and QEMU versions; hundreds of templates; free memory, cordons and the PCI
// functions guests hold differ per host). Each measurement runs in its own process, so its RSS is its
// own: the class-based matrix at 1,000 × 10,000 and 10,000 × 100,000, and TODAY'S matrix (the
// per-cell one this replaced, frozen in bench/baseline/) at 1,000 × 10,000 — at the full size it
// would hold 10^9 cells (4 GB of cell ids alone), so its numbers there are extrapolated and say so.
//   npx tsx --conditions=ferry-source bench/planner.bench.ts
// BENCH_HOSTS / BENCH_GUESTS change the large fleet; BENCH_PART runs one part alone.
import { spawnSync } from 'node:child_process';
import { ConflictMatrix, planMigration, rankDestinations, type FleetSnapshot } from '@ferry/planner';
import type { GuestState, HostState } from '@ferry/domain';
import { ConflictMatrix as TodaysMatrix } from './baseline/conflict-matrix.js';
import { templateFleet } from '../libs/planner/src/test-support/template-fleet.js';

const LARGE = { hosts: Number(process.env.BENCH_HOSTS ?? 10_000), guests: Number(process.env.BENCH_GUESTS ?? 100_000) };
const SMALL = { hosts: 1_000, guests: 10_000 };
const SHAPE = { models: 40, templates: 300 };
const GiB = 1n << 30n;

interface Timing {
  wall: number;
  cpu: number;
}

interface PartResult {
  part: string;
  hosts: number;
  guests: number;
  buildMs: number;
  buildCpuMs: number;
  rssMiB: number;
  matrixMiB: number;
  hostChange: Timing;
  guestChange: Timing;
  destinations: Timing;
  destinationsNote: string;
  counts: Timing;
  summary: Timing | null;
  note: string;
  checked: number;
}

const ms = (start: number) => performance.now() - start;
/** Wall and CPU milliseconds of `run`, divided by `times`: on a shared machine the CPU figure is the honest one. */
function timed(times: number, run: () => void): { wall: number; cpu: number } {
  const t = performance.now();
  const cpu = process.cpuUsage();
  run();
  return { wall: ms(t) / times, cpu: cpuMs(cpu) / times };
}
const cpuMs = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;

/** One group of one host gets a new reserved region inside typical guest RAM (a firmware update). */
function withNewRegion(state: HostState, n: number): HostState {
  const start = BigInt(6 + (n % 20)) * GiB;
  const groups = state.host.groups.map((g, index) =>
    index === 0
      ? { ...g, reservedRegions: [...g.reservedRegions, { start, end: start + 0x1f_ffffn, type: 'reserved' as const }] }
      : g,
  );
  return { ...state, host: { ...state.host, groups } };
}

function runPart(part: string): PartResult {
  const size = part.endsWith('large') ? LARGE : SMALL;
  const { hosts, guests, machineDefaults } = templateFleet(20_240_611, { ...size, ...SHAPE });
  const fleet: FleetSnapshot = {
    hosts: new Map(hosts.map((s) => [s.host.id, s])),
    guests: new Map(guests.map((s) => [s.id, s])),
    machineDefaults,
  };
  globalThis.gc?.();
  const rssBefore = rssMiB();
  const today = part.startsWith('today');

  const t = performance.now();
  const cpu = process.cpuUsage();
  const matrix = today ? TodaysMatrix.build(fleet) : ConflictMatrix.build(fleet);
  const buildMs = ms(t);
  const buildCpuMs = cpuMs(cpu);
  globalThis.gc?.();
  const rssAfter = rssMiB();

  // The first query after the build: nothing cached yet.
  let counts = undefined as unknown as ReturnType<typeof matrix.query>;
  const countsTiming = timed(1, () => {
    counts = matrix.query({ limit: 0 });
  });
  let summary: Timing | null = null;
  if (matrix instanceof ConflictMatrix)
    summary = timed(2, () => {
      matrix.summary('pool');
      matrix.summary('hostClass');
    });

  const CHANGES = 20;
  const hostChange = timed(CHANGES, () => {
    for (let n = 0; n < CHANGES; n++) matrix.upsertHost(withNewRegion(hosts[(n * 37) % hosts.length]!, n));
  });
  const guestChange = timed(CHANGES, () => {
    for (let n = 0; n < CHANGES; n++) {
      const g = guests[(n * 101) % guests.length]!;
      const changed: GuestState = {
        ...g,
        hotplugReservations: [...g.hotplugReservations, { id: `extra-${n}`, kind: 'vfio', deviceClass: 'gpu' }],
      };
      matrix.upsertGuest(changed);
    }
  });

  // Ranked destinations: the matrix ranks every host from class sets and gives the first page (20)
  // with full evidence; today's route ran rankDestinations, which evaluates every host with evidence.
  let destinations: Timing;
  let destinationsNote: string;
  if (matrix instanceof ConflictMatrix) {
    const picks = 20;
    destinations = timed(picks, () => {
      for (let n = 0; n < picks; n++) matrix.rankDestinations(guests[(n * 4999) % guests.length]!.id, { limit: 20 });
    });
    destinationsNote = `matrix.rankDestinations, every host ranked, first 20 with evidence (mean of ${picks})`;
  } else {
    const snapshot = matrix.snapshot();
    const picks = 3;
    destinations = timed(picks, () => {
      for (let n = 0; n < picks; n++) rankDestinations(snapshot, guests[(n * 4999) % guests.length]!.id);
    });
    destinationsNote = `rankDestinations on the snapshot, every host with evidence (mean of ${picks})`;
  }

  // The answer must stay what planMigration says: a sample of cells.
  const snapshot = matrix.snapshot();
  let checked = 0;
  for (const cell of matrix.query({ kind: 'migration', limit: 100, offset: 123_457 }).cells) {
    const plan = planMigration(snapshot, cell.guestId, cell.hostId);
    const planCodes = [...new Set(plan.conflicts.map((c) => c.code))].sort().join(',');
    const cellCodes = cell.findings
      .map((f) => f.code)
      .sort()
      .join(',');
    if (planCodes !== cellCodes)
      throw new Error(`matrix/plan mismatch for ${cell.guestId} → ${cell.hostId}: ${cellCodes} vs ${planCodes}`);
    checked++;
  }

  const note =
    matrix instanceof ConflictMatrix
      ? `${JSON.stringify(matrix.classCounts())}, ${matrix.stats.classPairs.toLocaleString('en')} class pairs evaluated, ${counts.total.toLocaleString('en')} cells, verdicts ${JSON.stringify(counts.counts.byVerdict)}`
      : `${matrix.stats.migrationCells.toLocaleString('en')} migration cells evaluated, ${counts.total.toLocaleString('en')} cells, verdicts ${JSON.stringify(counts.counts.byVerdict)}`;
  return {
    part,
    ...size,
    buildMs,
    buildCpuMs,
    rssMiB: rssAfter,
    matrixMiB: rssAfter - rssBefore,
    hostChange,
    guestChange,
    destinations,
    destinationsNote,
    counts: countsTiming,
    summary,
    note,
    checked,
  };
}

// ---- parent: one child process per part --------------------------------------------------------

const fmt = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(2));
const both = (t: Timing) => `${fmt(t.wall)} ms wall, ${fmt(t.cpu)} ms CPU`;

if (process.env.BENCH_PART) {
  console.log(`RESULT ${JSON.stringify(runPart(process.env.BENCH_PART))}`);
} else {
  const results: PartResult[] = [];
  for (const part of ['today-small', 'classes-small', 'classes-large']) {
    const run = spawnSync(
      process.execPath,
      ['--expose-gc', '--max-old-space-size=6144', '--conditions=ferry-source', '--import', 'tsx', process.argv[1]!],
      { env: { ...process.env, BENCH_PART: part }, encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) {
      console.log(`${part}: failed (status ${run.status})\n${run.stderr.slice(-2000)}`);
      continue;
    }
    results.push(JSON.parse(line.slice(7)) as PartResult);
  }
  console.log(
    `node ${process.version}; fleets from templateFleet (${SHAPE.models} models × kernels × QEMU, ${SHAPE.templates} templates)`,
  );
  for (const r of results) {
    const label = r.part.startsWith('today') ? "TODAY'S matrix (per cell)" : 'class-based matrix';
    console.log(`\n${label}, ${r.hosts.toLocaleString('en')} hosts × ${r.guests.toLocaleString('en')} guests`);
    console.log(
      `  full classification:  ${fmt(r.buildMs)} ms wall, ${fmt(r.buildCpuMs)} ms CPU; RSS ${fmt(r.rssMiB)} MiB (${fmt(r.matrixMiB)} MiB for the matrix)`,
    );
    console.log(`  one host fact change: ${both(r.hostChange)} (mean of 20; a reserved region inside guest RAM)`);
    console.log(`  one guest change:     ${both(r.guestChange)} (mean of 20; a new reservation, so a new guest class)`);
    console.log(`  ranked destinations:  ${both(r.destinations)} (${r.destinationsNote})`);
    console.log(
      `  counts over every cell: ${both(r.counts)}${r.summary === null ? '' : `; summary per pool / per host class: ${both(r.summary)}`}`,
    );
    console.log(`  ${r.note}; ${r.checked} sampled cells agree with planMigration`);
  }
  const today = results.find((r) => r.part === 'today-small');
  const large = results.find((r) => r.part === 'classes-large');
  if (today && large) {
    const cells = (large.hosts * large.guests) / (today.hosts * today.guests);
    console.log(
      `\nTODAY'S matrix extrapolated to ${large.hosts.toLocaleString('en')} × ${large.guests.toLocaleString('en')} (EXTRAPOLATION: it evaluates and stores every cell, ×${cells} cells; host change ×${large.guests / today.guests} rows, guest change ×${large.hosts / today.hosts} columns):`,
    );
    console.log(
      `  full classification ≈ ${fmt((today.buildCpuMs * cells) / 1000)} s CPU, matrix memory ≈ ${fmt((today.matrixMiB * cells) / 1024)} GiB, host change ≈ ${fmt((today.hostChange.cpu * large.guests) / today.guests)} ms CPU, guest change ≈ ${fmt((today.guestChange.cpu * large.hosts) / today.hosts)} ms CPU, ranked destinations ≈ ${fmt((today.destinations.cpu * large.hosts) / today.hosts)} ms CPU`,
    );
  }
}
