// Formatting for people: aligned tables, sizes, verdicts and conflicts. Colour only on a terminal.
import type { FieldProblem } from './client.js';

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
}

export function style(enabled: boolean): Style {
  const sgr = (open: number, close: number) => (text: string) =>
    enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39) };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const width = (text: string) => text.replace(ANSI, '').length;
const pad = (text: string, to: number) => text + ' '.repeat(Math.max(0, to - width(text)));

export type Cell = string | number | boolean | null | undefined;

/** null/undefined show as "-"; an empty string stays blank (a continuation row). */
const cellText = (cell: Cell) => (cell === null || cell === undefined ? '-' : String(cell));

/** Columns separated by two spaces, the last one not padded. */
export function table(headers: string[], rows: Cell[][]): string[] {
  const cells = [headers, ...rows.map((row) => row.map(cellText))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => width(row[i] ?? ''))));
  return cells.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : pad(cell, widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** "key:   value" lines with the values aligned. */
export function fields(pairs: Array<[string, Cell]>): string[] {
  const keyWidth = Math.max(...pairs.map(([key]) => key.length)) + 1;
  return pairs.map(([key, value]) => `${pad(`${key}:`, keyWidth)}  ${value === '' ? '-' : cellText(value)}`);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** "0x400000000" (or a number) → "16 GiB"; "7.25 GiB" when not whole. */
export function bytes(value: string | number | bigint | null | undefined): string {
  if (value === null || value === undefined) return '-';
  let n: number;
  try {
    n = typeof value === 'string' ? Number(BigInt(value)) : Number(value);
  } catch {
    return String(value);
  }
  let unit = 0;
  while (n >= 1024 && unit < UNITS.length - 1) {
    n /= 1024;
    unit++;
  }
  const text = Number.isInteger(n) ? String(n) : n >= 100 ? n.toFixed(0) : n.toFixed(n >= 10 ? 1 : 2);
  return `${text} ${UNITS[unit]}`;
}

const SIZE_UNITS: Record<string, number> = { B: 0, KIB: 1, MIB: 2, GIB: 3, TIB: 4, PIB: 5, EIB: 6 };

/** A fleet size ("263644028KiB", "16GiB", a byte count) in the largest fitting unit: "251.4 GiB". */
export function size(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  const match = /^(\d+)\s*([KMGTPE]iB|B)?$/i.exec(String(value).trim());
  if (!match) return String(value);
  return bytes(BigInt(match[1]!) * 1024n ** BigInt(SIZE_UNITS[(match[2] ?? 'B').toUpperCase()] ?? 0));
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function verdict(s: Style, value: string): string {
  const label = value.toUpperCase();
  return value === 'blocked'
    ? s.red(label)
    : value === 'warnings'
      ? s.yellow(label)
      : value === 'ok'
        ? s.green(label)
        : label;
}

export interface Conflict {
  code: string;
  severity: string;
  message: string;
  remedy?: string;
  section?: string;
  evidence?: unknown;
}

const SEVERITY_ORDER = ['corruption', 'error', 'warning', 'info'];

function severityText(s: Style, severity: string): string {
  return severity === 'corruption' || severity === 'error'
    ? s.red(severity)
    : severity === 'warning'
      ? s.yellow(severity)
      : s.dim(severity);
}

/** "1 error, 2 warnings" */
export function severityCounts(conflicts: Conflict[]): string {
  const counts = new Map<string, number>();
  for (const c of conflicts) counts.set(c.severity, (counts.get(c.severity) ?? 0) + 1);
  const order = [...SEVERITY_ORDER, ...[...counts.keys()].filter((k) => !SEVERITY_ORDER.includes(k))];
  const parts = order
    .filter((k) => counts.has(k))
    .map((k) => `${counts.get(k)} ${k}${counts.get(k)! > 1 && k !== 'corruption' && k !== 'info' ? 's' : ''}`);
  return parts.length ? parts.join(', ') : 'no conflicts';
}

/** Each conflict: severity and code on one line, then its message, remedy and where docs/domain.md documents it. */
export function conflictLines(s: Style, conflicts: Conflict[], columns?: number): string[] {
  const sorted = [...conflicts].sort((a, b) => rank(a.severity) - rank(b.severity));
  const sevWidth = Math.max(0, ...sorted.map((c) => c.severity.length));
  const lines: string[] = [];
  for (const c of sorted) {
    lines.push(`${pad(severityText(s, c.severity), sevWidth)}  ${s.bold(c.code)}`);
    lines.push(...wrap(c.message, '    ', columns));
    if (c.remedy) lines.push(...wrap(`remedy: ${c.remedy}`, '    ', columns));
    if (c.section) lines.push(s.dim(`    see ${c.section}`));
  }
  return lines;
}

const rank = (severity: string) => {
  const i = SEVERITY_ORDER.indexOf(severity);
  return i < 0 ? SEVERITY_ORDER.length : i;
};

/** Word-wraps on a terminal (columns known); elsewhere one line, so it greps. */
export function wrap(text: string, indent: string, columns?: number): string[] {
  if (!columns || columns < 40) return [indent + text];
  const max = columns - indent.length - 1;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > max) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

export function problemLines(problems: FieldProblem[] | undefined): string[] {
  return (problems ?? []).map((p) => `  ${p.field}: ${p.message}`);
}
