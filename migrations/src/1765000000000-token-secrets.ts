import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API token hashes, kept out of the event log: every viewer may read the log, and a hash of a weak
 * secret is an offline crack. `TokenCreated` events name the token; its hash lives only here.
 * Rows are never deleted (a revoked token's hash is how a restart recognises a revoked FERRY_ADMIN_TOKEN).
 */
export class TokenSecrets1765000000000 implements MigrationInterface {
  name = 'TokenSecrets1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE token_secrets (
      token_id varchar(64) PRIMARY KEY,
      secret_hash varchar(64) NOT NULL
    )`);
    // Older versions kept a "tokens" projection whose documents copied each hash; nothing reads it now.
    await queryRunner.query(`DELETE FROM projection_documents WHERE projection = 'tokens'`);
    await queryRunner.query(`DELETE FROM projection_checkpoints WHERE name = 'tokens'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE token_secrets');
  }
}
