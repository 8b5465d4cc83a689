// What every command shares: exit codes, the I/O it writes to, and how it declares itself.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ParseArgsConfig } from 'node:util';
import type { Client } from './client.js';
import type { Style } from './format.js';

/** Exit codes scripts can trust. */
export const EXIT = { ok: 0, failed: 1, blocked: 2, usage: 64 } as const;

export interface Writer {
  write(text: string): unknown;
}

export interface Io {
  stdout: Writer;
  stderr: Writer;
  stdin: AsyncIterable<Buffer | string>;
  env: Record<string, string | undefined>;
  /** stdout is a terminal: colours and redrawn progress lines are allowed. */
  tty: boolean;
  columns?: number;
  /** Ends a long-running watch (Ctrl-C); tests pass their own. */
  interrupt?: AbortSignal;
}

export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

export interface Ctx {
  io: Io;
  json: boolean;
  style: Style;
  client: Client;
  // Properties, not methods: commands pass them around detached (`const say = ctx.json ? ctx.err : ctx.out`).
  out: (line?: string) => void;
  err: (line?: string) => void;
}

export interface Command {
  /** "plan migrate" */
  name: string;
  /** Positional arguments, each required: ["GUEST"]. */
  args?: string[];
  /** The rest of the usage line: "--to HOST [--postcopy]". */
  usage?: string;
  summary: string;
  /** Extra help text after the usage line. */
  help?: string;
  options?: Options;
  run(ctx: Ctx, values: Values, positionals: string[]): Promise<number>;
}

export function usageLine(command: Command): string {
  return ['ferry', command.name, ...(command.args ?? []), command.usage ?? ''].filter(Boolean).join(' ');
}

export function str(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A required option: missing is a usage error (exit 64). */
export function need(values: Values, name: string, metavar: string, flag = `--${name}`): string {
  const value = str(values, name);
  if (value === undefined || value === '') throw new UsageError(`missing ${flag} ${metavar}`);
  return value;
}

export function intOption(values: Values, name: string): number | undefined {
  const value = str(values, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number, not "${value}"`);
  return Number(value);
}

/** --json output: the API's document, as it came; returns the exit code. */
export function printJson(ctx: Ctx, document: unknown, code: number = EXIT.ok): number {
  ctx.out(JSON.stringify(document, null, 2));
  return code;
}

/** Sleeps, or less if the operator interrupts meanwhile (the caller checks the signal). */
export async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  await sleep(ms, undefined, { signal }).catch((error: unknown) => {
    if (!signal?.aborted) throw error;
  });
}
