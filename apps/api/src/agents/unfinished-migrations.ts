import { Inject, Injectable } from '@nestjs/common';
import { ProjectionRunner } from '@ferry/event-store';
import { migrationsProjection, TERMINAL_STATES } from '@ferry/orchestration';
import type { UnfinishedMigration } from './migration-gate.js';

/** Ferry's own migrations that have not ended: they record their guest's placement themselves. */
@Injectable()
export class UnfinishedMigrations {
  constructor(@Inject(ProjectionRunner) private readonly projections: ProjectionRunner) {}

  async list(): Promise<UnfinishedMigration[]> {
    const documents = await this.projections.documents(migrationsProjection);
    return documents
      .filter((m) => !TERMINAL_STATES.includes(m.state))
      .map(({ id, guestId, destinationHostId }) => ({ id, guestId, destinationHostId }));
  }
}
