import { Module, type DynamicModule } from '@nestjs/common';
import { OrchestrationModule, PersistenceModule, type AppConfig } from '@ferry/nest-modules';

/** A worker process: the database and the job queue, no HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        PersistenceModule.forRoot(config),
        OrchestrationModule.forRoot({ ...config, runWorkers: true, warmFleetView: false }),
      ],
    };
  }
}
