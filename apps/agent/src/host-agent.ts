import type { CpuVendor } from '@ferry/domain';
import { domainEvents } from '@ferry/libvirt';
import { Backoff } from './backoff.js';
import type { AgentHostConfig } from './config.js';
import { FerryRejected, type FerryClient } from './ferry-client.js';
import { log } from './log.js';
import { buildReport, readHostFacts } from './report.js';
import { connectionUri, LibvirtView } from './libvirt-view.js';

type Trigger = 'heartbeat' | 'event' | 'resync';

export interface HostAgentTiming {
  heartbeatMs: number;
  resyncMs: number;
}

/**
 * One host: watches its libvirt's domain events, and on each event, each heartbeat tick and each
 * slow re-sync compares what runs there with what it last reported. It sends a report only when
 * that differs (or on the re-sync backstop, where the API writes nothing if Ferry already agrees);
 * otherwise a heartbeat. It heartbeats only while libvirt answers, so "reachable" means Ferry can
 * see the hypervisor, not merely that this process lives.
 */
export class HostAgent {
  private readonly libvirt: LibvirtView;
  private facts: { facts?: Record<string, unknown>; cpuVendor?: CpuVendor } = {};
  private lastReported: string | undefined;
  private lastUuids = '';
  private running = false;
  private pending: Trigger | undefined;
  private timers: NodeJS.Timeout[] = [];
  private readonly events = new AbortController();
  private readonly apiBackoff = new Backoff();
  private apiRetryAt = 0;
  private stopped = false;

  constructor(
    private readonly host: AgentHostConfig,
    private readonly client: FerryClient,
    private readonly timing: HostAgentTiming,
  ) {
    this.libvirt = new LibvirtView({ uri: host.libvirt, ...(host.credential ? { credential: host.credential } : {}) });
  }

  start(): void {
    void this.watch();
    this.timers.push(setInterval(() => this.trigger('heartbeat'), this.timing.heartbeatMs));
    this.timers.push(setInterval(() => this.trigger('resync'), this.timing.resyncMs));
    this.trigger('resync');
  }

  stop(): void {
    this.stopped = true;
    this.timers.forEach(clearInterval);
    this.events.abort();
  }

  /** Runs one pass at a time; a trigger during a pass runs once after it (the strongest one wins). */
  trigger(kind: Trigger): void {
    if (this.stopped) return;
    if (this.running) {
      const rank = { heartbeat: 0, event: 1, resync: 2 };
      if (!this.pending || rank[kind] > rank[this.pending]) this.pending = kind;
      return;
    }
    this.running = true;
    void this.pass(kind)
      .catch((error) => log('error', 'agent pass failed', { host: this.host.id, error: (error as Error).message }))
      .finally(() => {
        this.running = false;
        const next = this.pending;
        this.pending = undefined;
        if (next) this.trigger(next);
      });
  }

  private async pass(kind: Trigger): Promise<void> {
    let uuids: string[];
    try {
      uuids = await this.libvirt.runningUuids();
    } catch (error) {
      // No heartbeat while libvirt is away: after the API's timeout the host shows as unreachable.
      log('warn', 'libvirt unreachable; not heartbeating', { host: this.host.id, error: (error as Error).message });
      return;
    }
    if (Date.now() < this.apiRetryAt && kind !== 'event') return;
    if (kind === 'resync' || !this.facts.facts) this.readFacts();
    if (!this.facts.facts) return;
    const changed = uuids.join(',') !== this.lastUuids;
    try {
      if (kind === 'heartbeat' && !changed && this.lastReported !== undefined) {
        await this.client.heartbeat(this.host.id);
      } else {
        await this.report(uuids, kind === 'resync');
      }
      this.apiBackoff.reset();
      this.apiRetryAt = 0;
    } catch (error) {
      const delay = this.apiBackoff.next();
      this.apiRetryAt = Date.now() + delay;
      const level = error instanceof FerryRejected ? 'error' : 'warn';
      log(level, 'Ferry did not take the report', {
        host: this.host.id,
        error: (error as Error).message,
        retryInMs: delay,
      });
    }
  }

  private readFacts(): void {
    const read = readHostFacts(this.host.root, this.libvirt.target);
    for (const problem of read.problems) log('warn', problem, { host: this.host.id });
    if (read.facts) this.facts = { facts: read.facts, cpuVendor: read.cpuVendor };
  }

  /** Sends the host's whole view if it differs from the last one Ferry took (always on a re-sync). */
  private async report(uuids: string[], force: boolean): Promise<void> {
    const domains = await this.libvirt.runningDomains(uuids);
    const built = buildReport(this.facts.facts!, this.facts.cpuVendor, domains);
    for (const problem of built.problems) log('warn', problem, { host: this.host.id });
    const key = JSON.stringify(built.body);
    if (!force && key === this.lastReported) {
      await this.client.heartbeat(this.host.id);
    } else {
      const outcome = await this.client.report(this.host.id, built.body);
      if (outcome.eventsWritten > 0 || outcome.placementDeferred.length > 0)
        log('info', 'reported changes', { host: this.host.id, ...outcome });
    }
    this.lastReported = key;
    this.lastUuids = uuids.join(',');
  }

  /**
   * Domain events trigger a pass at once. The stream reconnects with back-off by itself; on each
   * (re)connection the domains are read again, since events while disconnected are lost.
   */
  private async watch(): Promise<void> {
    try {
      for await (const item of domainEvents(connectionUri(this.libvirt.target), { signal: this.events.signal })) {
        if (item.kind === 'disconnected') {
          log('warn', 'libvirt event stream down; reconnecting', {
            host: this.host.id,
            reason: item.reason,
            retryInMs: item.retryInMs,
          });
        } else {
          this.trigger('event');
        }
      }
    } catch (error) {
      if (this.stopped) return;
      log('error', 'libvirt event stream failed; restarting it', {
        host: this.host.id,
        error: (error as Error).message,
      });
      this.timers.push(setTimeout(() => void this.watch(), 5000));
    }
  }
}
