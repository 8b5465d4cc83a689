import type { DataSource } from 'typeorm';

/** The token_secrets table: a token's SHA-256, written before its TokenCreated event (see TokenRegistry.issue). */
export class TokenSecrets {
  private readonly postgres: boolean;

  constructor(private readonly db: DataSource) {
    this.postgres = db.options.type === 'postgres';
  }

  async put(tokenId: string, secretHash: string): Promise<void> {
    await this.write(
      this.postgres
        ? 'INSERT INTO token_secrets (token_id, secret_hash) VALUES ($1, $2)'
        : 'INSERT INTO token_secrets (token_id, secret_hash) VALUES (?, ?)',
      [tokenId, secretHash],
    );
  }

  /** Only for a token whose event was never written (its append failed or was an idempotent replay). */
  async remove(tokenId: string): Promise<void> {
    await this.write(`DELETE FROM token_secrets WHERE token_id = ${this.postgres ? '$1' : '?'}`, [tokenId]);
  }

  async all(): Promise<Map<string, string>> {
    const rows = (await this.db.query('SELECT token_id, secret_hash FROM token_secrets')) as {
      token_id: string;
      secret_hash: string;
    }[];
    return new Map(rows.map((row) => [row.token_id, row.secret_hash]));
  }

  /** SQLite's busy wait is off (it would freeze the event loop): wait for another process's write lock on a timer. */
  private async write(sql: string, parameters: unknown[]): Promise<void> {
    for (let waited = 0; ; waited += 20) {
      try {
        await this.db.query(sql, parameters);
        return;
      } catch (error) {
        const code = (error as { driverError?: { code?: unknown } }).driverError?.code;
        if (code !== 'SQLITE_BUSY' || waited >= 5000) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
