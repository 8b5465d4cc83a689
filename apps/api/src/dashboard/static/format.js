// Addresses arrive as "0x…" strings and can exceed 2^53: they are BigInts here, always shown in hex.

export const big = (value) => BigInt(value);

/** Canonical hex for data attributes and labels: lower case, no padding, like the API. */
export const hex = (value) => `0x${BigInt(value).toString(16)}`;

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** 65536n → "64 KiB", 17179869184n → "16 GiB"; one decimal when not a whole unit. */
export function size(bytes) {
  let value = BigInt(bytes);
  let unit = 0;
  while (unit < UNITS.length - 1 && value >= 1024n << BigInt(unit * 10)) unit++;
  const scale = 1n << BigInt(unit * 10);
  const whole = value / scale;
  const tenths = ((value % scale) * 10n) / scale;
  return `${whole}${tenths ? `.${tenths}` : ''} ${UNITS[unit]}`;
}

/** Size of an inclusive range. */
export const rangeSize = (range) => BigInt(range.end) - BigInt(range.start) + 1n;

export const rangeText = (range) => `${hex(range.start)}–${hex(range.end)}`;

export const count = (n) => Number(n ?? 0).toLocaleString('en-US');

export function time(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? String(iso)
    : date
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}

/** "0x1a2b…" byte counts from the migration API as a number (precision is fine for a progress bar). */
export const bytesNumber = (value) => (value === undefined || value === null ? 0 : Number(BigInt(value)));
