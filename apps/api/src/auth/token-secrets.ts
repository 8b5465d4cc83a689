import type { DataSource } from 'typeorm';

/** The token_secrets table: a token's SHA-256, written before its TokenCreated event (see TokenRegistry.issue). */
export class TokenSecrets {
  private readonly postgres: boolean;

  constructor(private readonly db: DataSource) {
    this.postgres = db.options.type === 'postgres';
  }

  async put(tokenId: string, secretHash: string): Promise<void> {
    await this.db.query(
      this.postgres
        ? 'INSERT INTO token_secrets (token_id, secret_hash) VALUES ($1, $2)'
        : 'INSERT INTO token_secrets (token_id, secret_hash) VALUES (?, ?)',
      [tokenId, secretHash],
    );
  }

  /** Only for a token whose event was never written (its append failed or was an idempotent replay). */
  async remove(tokenId: string): Promise<void> {
    await this.db.query(`DELETE FROM token_secrets WHERE token_id = ${this.postgres ? '$1' : '?'}`, [tokenId]);
  }

  async all(): Promise<Map<string, string>> {
    const rows = (await this.db.query('SELECT token_id, secret_hash FROM token_secrets')) as {
      token_id: string;
      secret_hash: string;
    }[];
    return new Map(rows.map((row) => [row.token_id, row.secret_hash]));
  }
}
