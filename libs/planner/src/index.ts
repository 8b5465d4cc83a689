// @ferry/planner: pure conflict planning over a fleet snapshot (no NestJS, no database, no clock).
export { CONFLICT_CODES, CONFLICT_SECTIONS, isConflictCode, type ConflictCode } from './conflict/codes.js';
export {
  SEVERITIES,
  isBlocking,
  verdictOf,
  type Conflict,
  type Evidence,
  type JsonValue,
  type Severity,
  type Verdict,
} from './conflict/conflict.js';

export type { FleetSnapshot, StreamRef, StreamVersions } from './plans/fleet-snapshot.js';
export type { PlanAnswer } from './plans/plan-answer.js';
export type { MigrationOptions } from './evaluate/evaluate-migration.js';
export type { HotplugDevice } from './evaluate/evaluate-hotplug.js';
export { planMigration, type MigrationInputs, type MigrationPlan } from './plans/plan-migration.js';
export { planHotplug, type HotplugInputs, type HotplugPlan } from './plans/plan-hotplug.js';
export {
  rankDestinations,
  type DestinationRanking,
  type ExcludedDestination,
  type RankedDestination,
} from './plans/rank-destinations.js';
export {
  poolMemoryLayout,
  type FamilyLayout,
  type ForbiddenKind,
  type ForbiddenRange,
  type ForbiddenSource,
  type MsiDoorbell,
  type PoolMemoryLayout,
} from './plans/pool-memory-layout.js';

export {
  ConflictMatrix,
  type ConflictMatrixOptions,
  type DestinationPage,
  type Evaluation,
  type MatrixClasses,
  type MatrixStats,
} from './matrix/conflict-matrix.js';
export type { Finding } from './matrix/code-set.js';
export type {
  MatrixCell,
  MatrixCounts,
  MatrixPage,
  MatrixQuery,
  MatrixSummary,
  SummaryGroup,
  SummaryGrouping,
} from './matrix/matrix-query.js';
