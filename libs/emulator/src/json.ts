// JSON for reports that hold bigints: JSON.stringify throws on them, so they become decimal
// strings. Same input, same bytes: the emulator's determinism is checked on this output.

export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export function stringifyReport(value: unknown, indent?: number): string {
  return JSON.stringify(value, bigintReplacer, indent);
}
