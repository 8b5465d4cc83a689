import {
  decodeEvent,
  evolveGuest,
  evolveHost,
  evolveMachineDefaults,
  type GuestEvent,
  type GuestState,
  type HostEvent,
  type HostState,
  type MachineDefault,
  type MachineDefaultsEvent,
} from '@ferry/domain';
import type { EventStore, StoredEvent } from '@ferry/event-store';
import {
  ConflictMatrix,
  type DestinationPage,
  type FleetSnapshot,
  type MatrixPage,
  type MatrixQuery,
  type MatrixSummary,
  type MigrationOptions,
  type SummaryGrouping,
} from '@ferry/planner';

const BATCH = 5000;

/**
 * The fleet in memory, folded from the log, and the conflict matrix kept current from it. A read
 * first catches up with the log; a batch of events updates each touched host column and guest row
 * once, so a host reporting new reserved regions recomputes that host's column and nothing else.
 */
export class FleetView {
  private position = 0;
  private readonly hosts = new Map<string, HostState>();
  private readonly guests = new Map<string, GuestState>();
  private readonly hostVersions = new Map<string, number>();
  private readonly guestVersions = new Map<string, number>();
  private machineDefaults: MachineDefault[] = [];
  private machineDefaultsVersion = 0;
  private matrixState: ConflictMatrix | undefined;
  /** Rebuilt only when events arrive: reads between changes share one snapshot. */
  private snapshotCache: FleetSnapshot | undefined;
  /** Matrix answers by query, dropped whenever the fleet changes (a query counts every row). */
  private readonly queryCache = new Map<string, MatrixPage | MatrixSummary>();
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly store: EventStore) {}

  /** Catches up with the log; concurrent callers share one pass. */
  catchUp(): Promise<void> {
    const next = this.pending.then(() => this.readNewEvents());
    // The caller gets any failure from `next`; the next pass only waits for this one to settle.
    this.pending = Promise.allSettled([next]).then(() => undefined);
    return next;
  }

  async snapshot(): Promise<FleetSnapshot> {
    await this.catchUp();
    return this.currentSnapshot();
  }

  /** A matrix query, answered from cache until the fleet changes (dashboards repeat the same ones). */
  async query(query: MatrixQuery): Promise<MatrixPage> {
    const matrix = await this.matrix();
    return this.cached(JSON.stringify(query), () => matrix.query(query));
  }

  /** Counts per pool or per host class, cached like queries. */
  async summary(grouping: SummaryGrouping, query: MatrixQuery): Promise<MatrixSummary> {
    const matrix = await this.matrix();
    return this.cached(`summary:${grouping}:${JSON.stringify(query)}`, () => matrix.summary(grouping, query));
  }

  /** One guest's destinations, ranked over every host, one page with full evidence. */
  async destinations(
    guestId: string,
    options: MigrationOptions & { offset?: number; limit?: number },
  ): Promise<DestinationPage> {
    return (await this.matrix()).rankDestinations(guestId, options);
  }

  private cached<T extends MatrixPage | MatrixSummary>(key: string, compute: () => T): T {
    const cached = this.queryCache.get(key);
    if (cached) return cached as T;
    const answer = compute();
    if (this.queryCache.size >= 100) this.queryCache.delete(this.queryCache.keys().next().value!);
    this.queryCache.set(key, answer);
    return answer;
  }

  async matrix(): Promise<ConflictMatrix> {
    await this.catchUp();
    this.matrixState ??= ConflictMatrix.build(this.currentSnapshot());
    return this.matrixState;
  }

  private currentSnapshot(): FleetSnapshot {
    if (this.snapshotCache) return this.snapshotCache;
    const liveHosts = new Map([...this.hosts].filter(([, h]) => !h.decommissioned));
    const liveGuests = new Map([...this.guests].filter(([, g]) => !g.removed));
    this.snapshotCache = {
      hosts: liveHosts,
      guests: liveGuests,
      machineDefaults: this.machineDefaults,
      versions: {
        hosts: new Map(this.hostVersions),
        guests: new Map(this.guestVersions),
        machineDefaults: this.machineDefaultsVersion,
      },
    };
    return this.snapshotCache;
  }

  private async readNewEvents(): Promise<void> {
    for (;;) {
      const events = await this.store.readAll({ after: this.position, limit: BATCH });
      if (events.length === 0) return;
      const touched = { hosts: new Set<string>(), guests: new Set<string>(), defaults: false };
      for (const event of events) this.apply(event, touched);
      if (touched.hosts.size + touched.guests.size > 0 || touched.defaults) {
        this.snapshotCache = undefined;
        this.queryCache.clear();
      }
      this.position = events[events.length - 1]!.position;
      this.updateMatrix(touched);
      if (events.length < BATCH) return;
    }
  }

  private apply(event: StoredEvent, touched: { hosts: Set<string>; guests: Set<string>; defaults: boolean }): void {
    if (event.streamId.startsWith('host-')) {
      const id = event.streamId.slice(5);
      const next = evolveHost(this.hosts.get(id), decodeEvent<HostEvent>(event.type, event.data));
      if (next) this.hosts.set(id, next);
      this.hostVersions.set(id, event.streamVersion);
      touched.hosts.add(id);
    } else if (event.streamId.startsWith('guest-')) {
      const id = event.streamId.slice(6);
      const next = evolveGuest(this.guests.get(id), decodeEvent<GuestEvent>(event.type, event.data));
      if (next) this.guests.set(id, next);
      this.guestVersions.set(id, event.streamVersion);
      touched.guests.add(id);
    } else if (event.streamId === 'machine-defaults') {
      this.machineDefaults = evolveMachineDefaults(
        this.machineDefaults,
        decodeEvent<MachineDefaultsEvent>(event.type, event.data),
      );
      this.machineDefaultsVersion = event.streamVersion;
      touched.defaults = true;
    }
  }

  private updateMatrix(touched: { hosts: Set<string>; guests: Set<string>; defaults: boolean }): void {
    const matrix = this.matrixState;
    if (!matrix) return; // built on first use, from the whole snapshot
    // A fleet file applied at once touches most rows: one build beats thousands of row updates.
    const size = this.hosts.size + this.guests.size;
    if (touched.hosts.size + touched.guests.size > Math.max(200, size / 10)) {
      this.matrixState = undefined;
      return;
    }
    if (touched.defaults) matrix.setMachineDefaults(this.machineDefaults, this.machineDefaultsVersion);
    for (const id of touched.hosts) {
      const host = this.hosts.get(id);
      if (!host || host.decommissioned) matrix.removeHost(id);
      else matrix.upsertHost(host, this.hostVersions.get(id));
    }
    for (const id of touched.guests) {
      const guest = this.guests.get(id);
      if (!guest || guest.removed) matrix.removeGuest(id);
      else matrix.upsertGuest(guest, this.guestVersions.get(id));
    }
  }
}
