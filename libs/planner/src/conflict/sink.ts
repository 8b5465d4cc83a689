// Rules report into a sink. The detail is a thunk so that the fleet matrix, which keeps only codes and
// severities for ten million cells, never pays for formatting evidence it does not return.
import { CONFLICT_SECTIONS, type ConflictCode } from './codes.js';
import { isBlocking, type Conflict, type JsonValue, type Severity } from './conflict.js';

export interface ConflictDetail {
  message: string;
  /** Exact ranges as hex, ids, addresses: whatever an operator needs to check the claim. */
  evidence: { [key: string]: JsonValue };
  /** The kernel/QEMU fact the conflict rests on. */
  fact: string;
  remedy: string;
}

export interface ConflictSink {
  /** False when only codes and severities are kept: a rule may then stop after its first report. */
  readonly detailed: boolean;
  report(code: ConflictCode, severity: Severity, detail: () => ConflictDetail): void;
}

/** Builds full conflicts, in the order the rules report them. */
export class ConflictCollector implements ConflictSink {
  readonly detailed = true;
  readonly conflicts: Conflict[] = [];

  report(code: ConflictCode, severity: Severity, detail: () => ConflictDetail): void {
    const { message, evidence, fact, remedy } = detail();
    const section = CONFLICT_SECTIONS[code];
    this.conflicts.push({ code, severity, message, evidence: { ...evidence, fact, section }, remedy, section });
  }
}

/** Counts severities only: used to pick the best of several candidate devices without formatting anything. */
export class SeverityTally implements ConflictSink {
  readonly detailed = false;
  blocking = 0;
  warnings = 0;

  report(_code: ConflictCode, severity: Severity): void {
    if (isBlocking(severity)) this.blocking++;
    else this.warnings++;
  }

  reset(): void {
    this.blocking = 0;
    this.warnings = 0;
  }

  /** Fewer blocking findings first, then fewer warnings. */
  betterThan(other: { blocking: number; warnings: number }): boolean {
    return this.blocking !== other.blocking ? this.blocking < other.blocking : this.warnings < other.warnings;
  }
}
