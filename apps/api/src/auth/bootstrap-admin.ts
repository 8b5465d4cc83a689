import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ConcurrencyError } from '@ferry/event-store';
import type { AppConfig } from '../config.js';
import { APP_CONFIG } from '../persistence.module.js';
import { log } from '../observability/json-logger.js';
import { TokenRegistry } from './tokens.js';

/**
 * The first start creates an admin token and prints it once (or registers FERRY_ADMIN_TOKEN).
 * The `token-bootstrap` stream can be written only once, so two instances starting together on
 * one database never both mint one.
 */
@Injectable()
export class BootstrapAdmin implements OnApplicationBootstrap {
  constructor(
    @Inject(TokenRegistry) private readonly tokens: TokenRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const given = this.config.adminToken;
    if (given && (await this.tokens.hasSecret(given))) return;
    if (!given && (await this.tokens.list()).length > 0) return;
    try {
      const issued = await this.tokens.issue(
        given ? 'admin-from-env' : 'bootstrap-admin',
        'admin',
        { actor: 'system:bootstrap' },
        {
          secret: given,
          streamId: given ? undefined : 'token-bootstrap',
        },
      );
      if (!given) {
        // Shown once, on the console of the instance that created it; only its hash is stored.
        process.stdout.write(
          `\nFerry created an admin API token. It is shown only now; keep it:\n\n  ${issued.token}\n\n`,
        );
        log('info', 'bootstrap admin token issued', { tokenId: issued.id });
      }
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
    }
  }
}
