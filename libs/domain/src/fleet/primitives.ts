import { z } from 'zod';
import { AddressParseError, parseHexAddress, parseSize } from '../address/address.js';

/** Turns a parse failure into a field-level issue instead of an exception. */
function parsedWith<T>(parse: (input: string) => T) {
  return (input: string, ctx: z.RefinementCtx): T => {
    try {
      return parse(input);
    } catch (error) {
      if (!(error instanceof AddressParseError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message });
      return z.NEVER;
    }
  };
}

export const hexAddress = z
  .string({ error: 'must be a hex string like "0xfee00000"' })
  .transform(parsedWith(parseHexAddress));

export const size = z
  .union([z.string(), z.number()], { error: 'must be a size like "16GiB" or a byte count' })
  .transform((input, ctx) => parsedWith((text) => parseSize(text))(input as string, ctx));

export const addressRange = z
  .strictObject({ start: hexAddress, end: hexAddress })
  .refine((range) => range.end >= range.start, { message: 'end must not be below start', path: ['end'] });

/**
 * Free text with a length cap checked first: `abort` stops zod before any later pattern or refinement
 * runs on a megabyte of input (a pattern that backtracks is quadratic in what it is given).
 */
export const boundedText = (max: number) =>
  z.string({ error: 'must be a string' }).max(max, { error: `must be at most ${max} characters`, abort: true });

/** Stable ids: they become stream names (`host-<id>`), so keep them URL- and log-safe. */
export const entityId = z
  .string({ error: 'must be a string' })
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    'must be 1–63 characters of [a-z0-9-], starting and ending with a letter or digit',
  );

export const pciAddress = z
  .string({ error: 'must be a PCI address like "0000:81:00.0"' })
  .regex(/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/, 'must be a PCI address like "0000:81:00.0" (lowercase hex)');

export const pciId = z.string().regex(/^0x[0-9a-f]{4}$/, 'must be a 16-bit PCI id like "0x15b3"');

export const bits = (max: number) => z.int({ error: 'must be a whole number of bits' }).min(1).max(max);

// Operators read these messages: a missing field says so plainly instead of "received undefined".
z.config({
  customError: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined),
});
