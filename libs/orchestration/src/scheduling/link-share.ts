// How one link is split between migration streams that each ask for a rate: max-min fairness
// (water-filling), which is what competing TCP streams converge to. A stream never gets more than
// it asks for; what a capped stream leaves is shared among the others.

/** Rates in bytes/s for each id; the sum never exceeds `capacity`. Deterministic for equal demands. */
export function maxMinFair(demands: ReadonlyMap<string, number>, capacity: number): Map<string, number> {
  const rates = new Map<string, number>();
  // Smallest demands first: each gets its demand if it is below an equal split of what is left.
  const pending = [...demands].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  let left = capacity;
  for (let i = 0; i < pending.length; i++) {
    const [id, demand] = pending[i]!;
    const fair = left / (pending.length - i);
    const rate = Math.max(0, Math.min(demand, fair));
    rates.set(id, rate);
    left -= rate;
  }
  return rates;
}
