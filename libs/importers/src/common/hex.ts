const ADDRESS_LIMIT = 1n << 64n;

/**
 * Parses hex digits with an optional `0x` prefix. Returns undefined, rather than
 * throwing, for anything that is not plain hex or does not fit in 64 bits: importers
 * report such input and carry on.
 */
export function parseHexU64(text: string, opts: { requirePrefix?: boolean } = {}): bigint | undefined {
  const match = /^(0x)?([0-9a-fA-F]+)$/.exec(text);
  if (!match || (opts.requirePrefix && !match[1])) return undefined;
  const value = BigInt(`0x${match[2]}`);
  return value < ADDRESS_LIMIT ? value : undefined;
}
