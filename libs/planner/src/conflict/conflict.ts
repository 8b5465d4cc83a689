// A conflict is data: a stable code, a severity, the evidence and a remedy. It is JSON-safe —
// addresses are "0x…" strings — so the API can return it as is.
import type { ConflictCode } from './codes.js';

/** `error` will fail cleanly; `corruption` will run but lose data or isolation; `warning` works with a caveat. */
export type Severity = 'error' | 'corruption' | 'warning';
export type Verdict = 'ok' | 'warnings' | 'blocked';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface Evidence {
  /** The kernel/QEMU fact the conflict rests on. */
  fact: string;
  /** Where the rule is documented: its row in docs/domain.md's rule index (`docs/domain.md#rule-…`). */
  section: string;
  [key: string]: JsonValue;
}

export interface Conflict {
  code: ConflictCode;
  severity: Severity;
  message: string;
  evidence: Evidence;
  remedy: string;
  section: string;
}

export const SEVERITIES: readonly Severity[] = ['error', 'corruption', 'warning'];

export const isBlocking = (severity: Severity) => severity !== 'warning';

/** `blocked` when anything will fail or corrupt; `warnings` when only caveats remain. */
export function verdictOf(findings: Iterable<{ severity: Severity }>): Verdict {
  let verdict: Verdict = 'ok';
  for (const { severity } of findings) {
    if (isBlocking(severity)) return 'blocked';
    verdict = 'warnings';
  }
  return verdict;
}

export const VERDICT_ORDER: Record<Verdict, number> = { ok: 0, warnings: 1, blocked: 2 };

/** An inclusive range as "0x…" strings; a type literal (not an interface) so it fits JsonValue. */
export type JsonRange = { start: string; end: string };

export const hexRange = (range: { start: bigint; end: bigint }): JsonRange => ({
  start: `0x${range.start.toString(16)}`,
  end: `0x${range.end.toString(16)}`,
});
