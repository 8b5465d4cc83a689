// Equivalence classes for the fleet matrix. Two hosts whose facts differ only in what every cell
// checks on its own (id, memory, pool; cordon lives outside `host`) get the same answer from every
// static rule, and so do two guests that differ only in identity and placement. The key is the
// text of the facts with those few fields left out — a deny list, on purpose: a fact added
// to Host or GuestState later lands in the key by itself, and the worst a forgotten entry can do is
// split a class in two, never merge two that differ.

/** Host facts checked per cell (rules/migration/compatibility.ts): never part of a host's class. */
export const PER_HOST_FACTS = ['id', 'memory', 'pool'] as const;
/** Guest facts that are identity, placement or bookkeeping: no static rule reads them. */
export const PER_GUEST_FACTS = ['id', 'hostId', 'removed', 'migration'] as const;

/**
 * The facts as text, with the per-cell fields left out. JSON.stringify keeps property order, so two
 * equal objects built in a different order get different texts: that only splits a class (states
 * come from the same schemas and deciders, so in practice it does not happen), never merges two.
 * Bigints become "n:<hex>" — a field is either a bigint or a string, never both.
 */
export function classKeyText(value: object, omit: readonly string[]): string {
  const record = value as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  for (const key of Object.keys(record)) if (!omit.includes(key)) kept[key] = record[key];
  return JSON.stringify(kept, bigintAsHex);
}

const bigintAsHex = (_key: string, value: unknown) => (typeof value === 'bigint' ? `n:${value.toString(16)}` : value);
