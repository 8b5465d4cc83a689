const MAX_U64 = (1n << 64n) - 1n;

const POWERS: Readonly<Record<string, bigint>> = { k: 1n, m: 2n, g: 3n, t: 4n, p: 5n, e: 6n };

/**
 * libvirt's `virScaleInteger()`: "b"/"byte"/"bytes"; "k", "KiB", "M", "MiB"… are powers
 * of 1024; "KB", "MB"… are powers of 1000; case does not matter. No unit means the
 * element's default, which is KiB for every memory size in domain XML.
 */
export function unitScale(unit: string | undefined, defaultScale = 1024n): bigint | undefined {
  if (unit === undefined || unit === '') return defaultScale;
  const lower = unit.toLowerCase();
  if (lower === 'b' || lower === 'byte' || lower === 'bytes') return 1n;
  const power = POWERS[lower[0]];
  if (power === undefined) return undefined;
  const suffix = lower.slice(1);
  if (suffix === '' || suffix === 'ib') return 1024n ** power;
  if (suffix === 'b') return 1000n ** power;
  return undefined;
}

/** A libvirt scaled integer in bytes, or why it is not one. */
export function parseLibvirtSize(
  value: string | undefined,
  unit: string | undefined,
): { bytes: bigint } | { error: string } {
  if (value === undefined) return { error: 'no size given' };
  // libvirt reads these with virStrToLong_ullp: a plain decimal, no sign, no fraction.
  if (!/^\d+$/.test(value)) return { error: `size ${JSON.stringify(value)} is not a non-negative integer` };
  const scale = unitScale(unit);
  if (scale === undefined) return { error: `unknown unit ${JSON.stringify(unit)}` };
  const bytes = BigInt(value) * scale;
  if (bytes > MAX_U64) return { error: `size ${value} ${unit ?? 'KiB'} does not fit in 64 bits` };
  return { bytes };
}
