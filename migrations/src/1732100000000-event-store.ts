import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event log, stream versions, idempotency records and projection storage.
 * Positions are the public cursor (`GET /v1/events?after=`), so they must grow in commit order:
 * SQLite has one writer; on PostgreSQL appends take a transaction-level advisory lock (see the store).
 */
export class EventStore1732100000000 implements MigrationInterface {
  name = 'EventStore1732100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.options.type === 'postgres';
    const json = postgres ? 'jsonb' : 'text';
    const position = postgres ? 'bigserial PRIMARY KEY' : 'integer PRIMARY KEY AUTOINCREMENT';
    await queryRunner.query(`CREATE TABLE events (
      position ${position},
      stream_id varchar(200) NOT NULL,
      stream_version integer NOT NULL,
      type varchar(100) NOT NULL,
      data ${json} NOT NULL,
      metadata ${json} NOT NULL,
      recorded_at varchar(32) NOT NULL,
      CONSTRAINT uq_events_stream_version UNIQUE (stream_id, stream_version)
    )`);
    await queryRunner.query(`CREATE TABLE streams (
      stream_id varchar(200) PRIMARY KEY,
      version integer NOT NULL
    )`);
    await queryRunner.query(`CREATE TABLE idempotency_keys (
      idempotency_key varchar(200) PRIMARY KEY,
      fingerprint varchar(128) NOT NULL,
      status integer NOT NULL,
      body ${json} NOT NULL,
      created_at varchar(32) NOT NULL
    )`);
    await queryRunner.query(`CREATE TABLE projection_checkpoints (
      name varchar(100) PRIMARY KEY,
      position bigint NOT NULL
    )`);
    await queryRunner.query(`CREATE TABLE projection_documents (
      projection varchar(100) NOT NULL,
      doc_id varchar(200) NOT NULL,
      doc ${json} NOT NULL,
      PRIMARY KEY (projection, doc_id)
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['projection_documents', 'projection_checkpoints', 'idempotency_keys', 'streams', 'events']) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
