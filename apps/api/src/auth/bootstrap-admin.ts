import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ConcurrencyError } from '@ferry/event-store';
import { TokenRegistry } from './tokens.js';
import { type AppConfig, APP_CONFIG, log } from '@ferry/nest-modules';

/** The name of the token FERRY_ADMIN_TOKEN registers; at most one is active. */
export const ENV_TOKEN_NAME = 'admin-from-env';
const SYSTEM = { metadata: { actor: 'system:bootstrap' } };

/**
 * The first start creates an admin token and prints it once, or registers FERRY_ADMIN_TOKEN. The
 * `token-bootstrap` stream can be written only once, and the env token's name stream is appended at
 * the version read, so two instances starting together on one database never both register one.
 *
 * FERRY_ADMIN_TOKEN's revocation and rotation stick: a value seen before (even revoked) is never
 * registered again, and a new value revokes the token the previous value registered.
 */
@Injectable()
export class BootstrapAdmin implements OnApplicationBootstrap {
  constructor(
    @Inject(TokenRegistry) private readonly tokens: TokenRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      if (this.config.adminToken) await this.registerEnvToken(this.config.adminToken);
      else await this.mintFirstToken();
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
    }
  }

  private async registerEnvToken(secret: string): Promise<void> {
    const known = await this.tokens.findBySecret(secret);
    if (known?.revoked)
      log('warn', 'FERRY_ADMIN_TOKEN was revoked and stays revoked; set a new value to rotate it', {
        tokenId: known.id,
      });
    if (known) return;
    const previous = (await this.tokens.list()).filter((t) => t.name === ENV_TOKEN_NAME && !t.revoked);
    const outcome = await this.tokens.issue(ENV_TOKEN_NAME, 'admin', SYSTEM, {
      secret,
      replacing: previous.map((t) => t.id),
    });
    log('info', 'FERRY_ADMIN_TOKEN registered', {
      tokenId: (outcome.body as { id: string }).id,
      revoked: previous.map((t) => t.id),
    });
  }

  private async mintFirstToken(): Promise<void> {
    if ((await this.tokens.list()).length > 0) return;
    const { body } = await this.tokens.issue('bootstrap-admin', 'admin', SYSTEM, { streamId: 'token-bootstrap' });
    const issued = body as { id: string; token: string };
    // Shown once, on the console of the instance that created it; only its hash is stored.
    process.stdout.write(`\nFerry created an admin API token. It is shown only now; keep it:\n\n  ${issued.token}\n\n`);
    log('info', 'bootstrap admin token issued', { tokenId: issued.id });
  }
}
