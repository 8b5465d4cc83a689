import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { EventStore, type OpenedStore } from '@ferry/event-store';
import { TokenSecrets } from './token-secrets.js';
import { AuthGuard } from './auth.guard.js';
import { BootstrapAdmin } from './bootstrap-admin.js';
import { RateLimiter } from './rate-limiter.js';
import { TokenRegistry } from './tokens.js';
import { TokensController } from './tokens.controller.js';
import { OPENED_STORE, type AppConfig } from '@ferry/nest-modules';

/** API tokens with roles on every route, the first admin token, and per-token rate limits. */
@Global()
@Module({})
export class AuthModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AuthModule,
      controllers: [TokensController],
      providers: [
        {
          provide: TokenRegistry,
          useFactory: (store: EventStore, opened: OpenedStore) =>
            new TokenRegistry(store, new TokenSecrets(opened.dataSource)),
          inject: [EventStore, OPENED_STORE],
        },
        { provide: RateLimiter, useFactory: () => new RateLimiter(config.rateLimit, config.rateLimit * 2) },
        { provide: APP_GUARD, useClass: AuthGuard },
        BootstrapAdmin,
      ],
      exports: [TokenRegistry],
    };
  }
}
