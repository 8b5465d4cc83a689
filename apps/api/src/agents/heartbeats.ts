import type { DataSource } from 'typeorm';

export interface Heartbeat {
  hostId: string;
  agent: string;
  lastSeenMs: number;
}

/**
 * Last-seen times of host agents, one row per host, overwritten on every heartbeat. Deliberately
 * not events: a heartbeat every few seconds per host would bury the log; the transitions it implies
 * (HostUnreachable, HostReachable) are what gets recorded.
 */
export class HeartbeatStore {
  private readonly postgres: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.postgres = dataSource.options.type === 'postgres';
  }

  async beat(hostId: string, agent: string, nowMs: number): Promise<void> {
    const [a, b, c] = this.postgres ? ['$1', '$2', '$3'] : ['?', '?', '?'];
    await this.dataSource.query(
      `INSERT INTO agent_heartbeats (host_id, agent, last_seen_ms) VALUES (${a}, ${b}, ${c})
       ON CONFLICT (host_id) DO UPDATE SET agent = excluded.agent, last_seen_ms = excluded.last_seen_ms`,
      [hostId, agent, nowMs],
    );
  }

  async all(): Promise<Heartbeat[]> {
    const rows: { host_id: string; agent: string; last_seen_ms: string | number }[] = await this.dataSource.query(
      'SELECT host_id, agent, last_seen_ms FROM agent_heartbeats',
    );
    return rows.map((r) => ({ hostId: r.host_id, agent: r.agent, lastSeenMs: Number(r.last_seen_ms) }));
  }

  async get(hostId: string): Promise<Heartbeat | undefined> {
    const rows: { host_id: string; agent: string; last_seen_ms: string | number }[] = await this.dataSource.query(
      `SELECT host_id, agent, last_seen_ms FROM agent_heartbeats WHERE host_id = ${this.postgres ? '$1' : '?'}`,
      [hostId],
    );
    return rows.map((r) => ({ hostId: r.host_id, agent: r.agent, lastSeenMs: Number(r.last_seen_ms) }))[0];
  }
}
