import type { PostcopyParameters } from './migration-spec.js';

/** Nova's should_switch_to_postcopy: less than 10 % progress in an iteration means stalled. */
const STALL_PROGRESS = 0.1;

/**
 * The spec's post-copy switch policy at a dirty sync, shared by the emulator and the real-QEMU
 * backend: after N passes, or when a pass shrank the remaining data by less than 10 %.
 * `passes` counts the syncs after the one that ended the bulk pass.
 */
export function postcopyDue(
  policy: Pick<PostcopyParameters, 'switchAfterIterations' | 'switchWhenNotConverging'>,
  passes: number,
  previousRemaining: number | undefined,
  remaining: number,
): boolean {
  if (policy.switchAfterIterations !== undefined && passes >= policy.switchAfterIterations) return true;
  if (!policy.switchWhenNotConverging || passes < 1 || previousRemaining === undefined || previousRemaining <= 0)
    return false;
  return (previousRemaining - remaining) / previousRemaining < STALL_PROGRESS;
}
