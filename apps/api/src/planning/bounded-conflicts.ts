/** How many conflicts one destination lists; the drill-down (`GET /v1/conflicts/cell`) has them all. */
export const CONFLICTS_PER_DESTINATION = 20;
/** How many items any list inside one conflict's evidence keeps (a group's regions, say). */
export const EVIDENCE_ITEMS = 16;

/**
 * A destination's conflicts, bounded: a host with 65,536 reserved regions inside guest RAM has as many
 * conflicts, and listing them all for every host made answers of tens of megabytes. Every distinct
 * code keeps its first conflict, then the list fills up in order; `conflictCount` says how many there were.
 */
export function boundConflicts<C extends { code: string; evidence: object }>(
  conflicts: C[],
  max = CONFLICTS_PER_DESTINATION,
): { conflicts: C[]; conflictCount: number; conflictsTruncated?: true } {
  if (conflicts.length <= max) return { conflicts: conflicts.map(boundEvidence), conflictCount: conflicts.length };
  const firstOfCode = new Map<string, number>();
  conflicts.forEach((c, i) => firstOfCode.has(c.code) || firstOfCode.set(c.code, i));
  const keep = new Set([...firstOfCode.values()].slice(0, max));
  for (let i = 0; i < conflicts.length && keep.size < max; i++) keep.add(i);
  return {
    conflicts: conflicts.filter((_, i) => keep.has(i)).map(boundEvidence),
    conflictCount: conflicts.length,
    conflictsTruncated: true,
  };
}

/** Cuts every list in the evidence to EVIDENCE_ITEMS; `evidence.omitted` says, per list path, how many items it had. */
function boundEvidence<C extends { evidence: object }>(conflict: C): C {
  const omitted: Record<string, number> = {};
  const bound = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) {
      if (value.length > EVIDENCE_ITEMS) omitted[path] = value.length;
      return value.slice(0, EVIDENCE_ITEMS).map((item, i) => bound(item, `${path}[${i}]`));
    }
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bound(v, path ? `${path}.${k}` : k)]));
    return value;
  };
  const evidence = bound(conflict.evidence, '') as Record<string, unknown>;
  return Object.keys(omitted).length === 0 ? conflict : { ...conflict, evidence: { ...evidence, omitted } };
}
