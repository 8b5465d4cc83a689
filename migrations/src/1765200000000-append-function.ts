import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * PostgreSQL only: one append in one statement. Profiled, a single-event append spent its time in six
 * round trips (BEGIN, advisory lock, SELECT version, INSERT, stream upsert, COMMIT) and TypeORM's
 * runner around each; the COMMIT's WAL flush is the one cost a raw insert pays too. `ferry_append` does
 * all of it inside the statement's own transaction, so an append is one round trip plus that flush.
 *
 * It takes the same transaction-level advisory lock as before (held until the statement commits, so
 * positions still become visible in commit order), checks every stream's expected version (`"any"`,
 * `"no-stream"`, `"exists"` or the exact number), inserts the events and upserts the stream versions.
 * A stream that is not where the caller expected raises SQLSTATE FR409 with the request's index and the stream's
 * version as JSON in DETAIL, and the whole statement (every stream of the request) rolls back.
 *
 * p_requests: [{ "streamId", "expectedVersion", "events": [{ "type", "data", "metadata" }] }]
 * Returns one row per request, in order: the stream's version before, and the positions written.
 */
const APPEND_LOCK = 0x46455252; // "FERR", the same key as the store's idempotent path

export class AppendFunction1765200000000 implements MigrationInterface {
  name = 'AppendFunction1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'postgres') return;
    await queryRunner.query(`CREATE FUNCTION ferry_append(p_requests jsonb, p_recorded_at varchar)
RETURNS TABLE (version_before integer, positions bigint[])
LANGUAGE plpgsql AS $$
DECLARE
  request jsonb;
  request_index bigint;
  expected jsonb;
  stream varchar;
  event_count integer;
BEGIN
  PERFORM pg_advisory_xact_lock(${APPEND_LOCK});
  FOR request, request_index IN SELECT r.value, r.ordinality - 1 FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS r ORDER BY r.ordinality LOOP
    stream := request->>'streamId';
    expected := request->'expectedVersion';
    version_before := COALESCE((SELECT s.version FROM streams s WHERE s.stream_id = stream), 0);
    IF NOT (expected = '"any"'
            OR (expected = '"no-stream"' AND version_before = 0)
            OR (expected = '"exists"' AND version_before > 0)
            OR (jsonb_typeof(expected) = 'number' AND expected::integer = version_before)) THEN
      RAISE EXCEPTION 'stream % is at version %', stream, version_before
        USING ERRCODE = 'FR409', DETAIL = jsonb_build_object('request', request_index, 'actual', version_before)::text;
    END IF;
    event_count := jsonb_array_length(request->'events');
    positions := '{}';
    IF event_count > 0 THEN
      WITH inserted AS (
        INSERT INTO events (stream_id, stream_version, type, data, metadata, recorded_at)
        SELECT stream, version_before + e.ordinality, e.value->>'type', e.value->'data', e.value->'metadata', p_recorded_at
        FROM jsonb_array_elements(request->'events') WITH ORDINALITY AS e
        ORDER BY e.ordinality
        RETURNING events.position, events.stream_version
      )
      SELECT array_agg(inserted.position ORDER BY inserted.stream_version) INTO positions FROM inserted;
      INSERT INTO streams (stream_id, version) VALUES (stream, version_before + event_count)
        ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version;
    END IF;
    RETURN NEXT;
  END LOOP;
END
$$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'postgres') return;
    await queryRunner.query('DROP FUNCTION ferry_append(jsonb, varchar)');
  }
}
