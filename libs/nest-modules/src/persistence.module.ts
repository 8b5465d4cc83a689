import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { EventStore, openEventStore, ProjectionRunner, type OpenedStore } from '@ferry/event-store';
import { FleetCommands } from '@ferry/fleet';
import { FleetView } from '@ferry/orchestration';
import type { AppConfig } from './config.js';

export const OPENED_STORE = Symbol('OPENED_STORE');
export const APP_CONFIG = Symbol('APP_CONFIG');

class StoreCloser implements OnApplicationShutdown {
  constructor(@Inject(OPENED_STORE) private readonly opened: OpenedStore) {}
  async onApplicationShutdown(): Promise<void> {
    await this.opened.close();
  }
}

/** The database, the event store on it, and the fleet's write side. Opened (and migrated) once at start. */
@Global()
@Module({})
export class PersistenceModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        {
          provide: OPENED_STORE,
          useFactory: () =>
            openEventStore({
              databaseUrl: config.databaseUrl,
              sqlitePath: config.sqlitePath,
              schema: config.databaseSchema,
            }),
        },
        { provide: EventStore, useFactory: (opened: OpenedStore) => opened.store, inject: [OPENED_STORE] },
        {
          provide: ProjectionRunner,
          useFactory: (store: EventStore) => new ProjectionRunner(store),
          inject: [EventStore],
        },
        { provide: FleetCommands, useFactory: (store: EventStore) => new FleetCommands(store), inject: [EventStore] },
        { provide: FleetView, useFactory: (store: EventStore) => new FleetView(store), inject: [EventStore] },
        StoreCloser,
      ],
      exports: [APP_CONFIG, OPENED_STORE, EventStore, ProjectionRunner, FleetCommands, FleetView],
    };
  }
}
