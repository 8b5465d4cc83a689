import { verdictOf, type Conflict, type Verdict } from '../conflict/conflict.js';

/** A dry run: every conflict at once, and what it was computed from. */
export interface PlanAnswer<Inputs> {
  verdict: Verdict;
  conflicts: Conflict[];
  inputs: Inputs;
}

export function answer<Inputs>(conflicts: Conflict[], inputs: Inputs): PlanAnswer<Inputs> {
  return { verdict: verdictOf(conflicts), conflicts, inputs };
}
