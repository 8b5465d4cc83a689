/**
 * Migration slots: at most N outbound per source host, N inbound per destination, M across the
 * fleet (Nova's max_concurrent_live_migrations, KubeVirt's parallelOutboundMigrationsPerNode and
 * parallelMigrationsPerCluster). A slot is a lease: a worker that dies stops renewing it and the
 * slot frees itself after the lease time, so a SIGKILL never leaks capacity.
 */
export interface MigrationLimits {
  outboundPerHost: number;
  inboundPerHost: number;
  fleet: number;
}

export interface SlotRequest {
  id: string;
  source: string;
  destination: string;
}

export type SlotAnswer = { acquired: true } | { acquired: false; reason: string };

export interface SlotLimiter {
  /** Takes (or renews, if this id already holds one) a slot on source, destination and fleet at once. */
  tryAcquire(request: SlotRequest): Promise<SlotAnswer>;
  release(request: SlotRequest): Promise<void>;
  /** Whether a live lease exists for this id: a worker is still renewing it. */
  holds(request: SlotRequest): Promise<boolean>;
  close(): Promise<void>;
}

export function waitingReason(kind: 'out' | 'in' | 'fleet', request: SlotRequest, limits: MigrationLimits): string {
  if (kind === 'out') return `waiting for an outbound slot on ${request.source} (limit ${limits.outboundPerHost})`;
  if (kind === 'in') return `waiting for an inbound slot on ${request.destination} (limit ${limits.inboundPerHost})`;
  return `waiting for a fleet-wide migration slot (limit ${limits.fleet})`;
}

/** One process (the embedded default): the same leases, in memory. */
export class InMemorySlotLimiter implements SlotLimiter {
  private readonly leases = new Map<string, SlotRequest & { expires: number }>();

  constructor(
    private readonly limits: MigrationLimits,
    private readonly leaseMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async tryAcquire(request: SlotRequest): Promise<SlotAnswer> {
    const now = this.now();
    for (const [id, lease] of this.leases) if (lease.expires <= now) this.leases.delete(id);
    const others = [...this.leases.values()].filter((l) => l.id !== request.id);
    if (!this.leases.has(request.id)) {
      if (others.filter((l) => l.source === request.source).length >= this.limits.outboundPerHost)
        return { acquired: false, reason: waitingReason('out', request, this.limits) };
      if (others.filter((l) => l.destination === request.destination).length >= this.limits.inboundPerHost)
        return { acquired: false, reason: waitingReason('in', request, this.limits) };
      if (others.length >= this.limits.fleet)
        return { acquired: false, reason: waitingReason('fleet', request, this.limits) };
    }
    this.leases.set(request.id, { ...request, expires: now + this.leaseMs });
    return { acquired: true };
  }

  async release(request: SlotRequest): Promise<void> {
    this.leases.delete(request.id);
  }

  async holds(request: SlotRequest): Promise<boolean> {
    return (this.leases.get(request.id)?.expires ?? 0) > this.now();
  }

  async close(): Promise<void> {}
}
