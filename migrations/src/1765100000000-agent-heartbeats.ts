import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each host's agent last reported. A heartbeat every few seconds per host would flood the event
 * log, so last-seen times live in this one-row-per-host table; only the transitions they imply
 * (HostUnreachable, HostReachable) become events.
 */
export class AgentHeartbeats1765100000000 implements MigrationInterface {
  name = 'AgentHeartbeats1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE agent_heartbeats (
      host_id varchar(200) PRIMARY KEY,
      agent varchar(200) NOT NULL,
      last_seen_ms bigint NOT NULL
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE agent_heartbeats');
  }
}
