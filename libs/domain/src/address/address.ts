// 64-bit guest-physical and IOVA addresses. A JavaScript `number` silently loses bits above 2^53,
// so an address is always a `bigint` inside Ferry and a "0x…" hex string in JSON.

export const ADDRESS_LIMIT = 1n << 64n;
export const KiB = 1024n;
export const MiB = 1024n * KiB;
export const GiB = 1024n * MiB;
export const TiB = 1024n * GiB;
export const PAGE_SIZE = 4n * KiB;

export class AddressParseError extends Error {}

const HEX = /^0x[0-9a-fA-F]+$/;

/**
 * Longest number text accepted: any 64-bit value fits with room for leading zeros and a unit.
 * Checked before any pattern or BigInt sees the text (converting megabytes of digits stalls the loop).
 */
export const MAX_NUMBER_TEXT = 64;

/** At most a short prefix of what was sent, for error messages (an answer never echoes a huge input). */
export function quotePrefix(text: string, max = 32): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

function checkLength(text: string): void {
  if (text.length > MAX_NUMBER_TEXT)
    throw new AddressParseError(
      `must be at most ${MAX_NUMBER_TEXT} characters (got ${text.length}, starting ${quotePrefix(text, 16)})`,
    );
}

/** Parses "0xfee00000" into a bigint; rejects non-hex and anything ≥ 2^64. */
export function parseHexAddress(text: string): bigint {
  checkLength(text);
  if (!HEX.test(text)) throw new AddressParseError(`must be a hex string like "0xfee00000", got ${quotePrefix(text)}`);
  const value = BigInt(text);
  if (value >= ADDRESS_LIMIT) throw new AddressParseError(`must be below 2^64, got ${quotePrefix(text)}`);
  return value;
}

export function toHex(value: bigint): string {
  return `0x${value.toString(16)}`;
}

const SIZE = /^(\d+)\s*(B|KiB|MiB|GiB|TiB|PiB)?$/;
const UNIT: Record<string, bigint> = { B: 1n, KiB, MiB, GiB, TiB, PiB: 1024n * TiB };

/** Parses "16GiB", "512MiB", "4KiB", a byte count (integer or decimal string) or a hex byte count. */
export function parseSize(input: string | number): bigint {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0)
      throw new AddressParseError(`must be a non-negative whole number of bytes, got ${input}`);
    return BigInt(input);
  }
  checkLength(input);
  const text = input.trim();
  const value = HEX.test(text) ? BigInt(text) : sizeWithUnit(text);
  if (value >= ADDRESS_LIMIT) throw new AddressParseError(`must be below 2^64 bytes, got ${quotePrefix(text)}`);
  return value;
}

function sizeWithUnit(text: string): bigint {
  const match = SIZE.exec(text);
  if (!match)
    throw new AddressParseError(
      `must be a size like "16GiB", "512MiB", "4KiB" or a byte count, got ${quotePrefix(text)}`,
    );
  return BigInt(match[1]!) * UNIT[match[2] ?? 'B']!;
}

/** Formats a byte count the way an operator writes it: the largest binary unit that divides it. */
export function formatSize(bytes: bigint): string {
  for (const [unit, factor] of [
    ['TiB', TiB],
    ['GiB', GiB],
    ['MiB', MiB],
    ['KiB', KiB],
  ] as const) {
    if (bytes >= factor && bytes % factor === 0n) return `${bytes / factor}${unit}`;
  }
  return `${bytes}`;
}

export function alignUp(value: bigint, alignment: bigint): bigint {
  return ((value + alignment - 1n) / alignment) * alignment;
}
