// Finds the command in argv, parses its options with node:util parseArgs, runs it, and turns
// every failure into a message on stderr and an exit code.
import { parseArgs } from 'node:util';
import { ApiError, Client, NetworkError } from './client.js';
import { EXIT, UsageError, usageLine, type Command, type Ctx, type Io, type Options } from './cli.js';
import { problemLines, style } from './format.js';
import { applyCommands } from './commands/apply.js';
import { evacuateCommands } from './commands/evacuate.js';
import { eventsCommands } from './commands/events.js';
import { fleetCommands } from './commands/fleet.js';
import { importCommands } from './commands/import.js';
import { migrateCommands } from './commands/migrate.js';
import { planCommands } from './commands/plan.js';
import { hookCommands } from './commands/hook.js';

export const COMMANDS: Command[] = [
  ...importCommands,
  ...applyCommands,
  ...fleetCommands,
  ...planCommands,
  ...migrateCommands,
  ...evacuateCommands,
  ...eventsCommands,
  ...hookCommands,
];

const GLOBAL: Options = {
  json: { type: 'boolean' },
  url: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};
const GLOBAL_HELP = `Global options:
  --json        print the API's JSON (one document) instead of tables
  --url URL     the Ferry API (default: $FERRY_URL, else http://127.0.0.1:8080)
  -h, --help    show help
Environment: FERRY_URL, FERRY_TOKEN (sent as "Authorization: Bearer <token>"), NO_COLOR.
Exit codes: 0 ok, 1 failed (API or network error, failed migration), 2 blocked by conflicts, 64 usage.
`;

const GROUP_ALIASES: Record<string, string> = {
  host: 'hosts',
  guest: 'guests',
  migrations: 'migration',
  dest: 'destinations',
};
const SUB_ALIASES: Record<string, string> = { list: 'ls', get: 'show', describe: 'show', migration: 'migrate' };
const DEFAULT_SUB: Record<string, string> = { hosts: 'ls', guests: 'ls' };

type Resolved = { kind: 'help'; text: string; code: number } | { kind: 'command'; command: Command; rest: string[] };

export async function run(argv: string[], io: Io): Promise<number> {
  const write =
    (stream: 'stdout' | 'stderr') =>
    (line = '') =>
      io[stream].write(`${line}\n`);
  const err = write('stderr');
  let command: Command | undefined;
  try {
    const resolved = resolve(argv);
    if (resolved.kind === 'help') {
      (resolved.code === 0 ? io.stdout : io.stderr).write(resolved.text);
      return resolved.code;
    }
    command = resolved.command;
    if (resolved.rest.includes('--help') || resolved.rest.includes('-h')) {
      io.stdout.write(commandHelp(command));
      return EXIT.ok;
    }
    const { values, positionals } = parse(command, resolved.rest);
    const json = values.json === true;
    const url = (typeof values.url === 'string' && values.url) || io.env.FERRY_URL || 'http://127.0.0.1:8080';
    const ctx: Ctx = {
      io,
      json,
      style: style(io.tty && !io.env.NO_COLOR),
      client: new Client(url, io.env.FERRY_TOKEN || undefined),
      out: write('stdout'),
      err,
    };
    return await command.run(ctx, values, positionals);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`ferry: ${error.message}`);
      if (command) {
        err(`usage: ${usageLine(command)}`);
        err(`Run 'ferry ${command.name} --help' for more.`);
      } else err(`Run 'ferry --help' for the commands.`);
      return EXIT.usage;
    }
    if (error instanceof ApiError) {
      if (argv.includes('--json')) io.stdout.write(`${JSON.stringify(error.body, null, 2)}\n`);
      err(`ferry: ${error.body.message} (${error.status} ${error.body.error}, ${error.method} ${error.path})`);
      for (const line of problemLines(error.body.problems)) err(line);
      if (error.status === 401)
        err(io.env.FERRY_TOKEN ? '  FERRY_TOKEN was sent and refused' : '  set FERRY_TOKEN to an API token');
      return EXIT.failed;
    }
    if (error instanceof NetworkError) {
      err(`ferry: ${error.message}`);
      return EXIT.failed;
    }
    const code = (error as NodeJS.ErrnoException).code;
    const path = (error as NodeJS.ErrnoException).path;
    if (code && path) err(`ferry: cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code}`);
    else err(`ferry: ${(error as Error).message ?? String(error)}`);
    return EXIT.failed;
  }
}

function resolve(argv: string[]): Resolved {
  const words: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg === '--url') i++;
    else if (!arg.startsWith('-')) words.push(i);
  }
  if (words.length === 0) {
    if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help', text: generalHelp(), code: EXIT.ok };
    return {
      kind: 'help',
      text: `usage: ferry <command> [options]\n${summaries(COMMANDS)}\nRun 'ferry --help' for more.\n`,
      code: EXIT.usage,
    };
  }
  let groupAt = words[0]!;
  let asHelp = false;
  if (argv[groupAt] === 'help') {
    asHelp = true;
    if (words.length === 1) return { kind: 'help', text: generalHelp(), code: EXIT.ok };
    groupAt = words[1]!;
  }
  const group = GROUP_ALIASES[argv[groupAt]!] ?? argv[groupAt]!;
  const single = COMMANDS.find((c) => c.name === group);
  const subs = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  const without = (...indices: number[]) => argv.filter((_, i) => !indices.includes(i) && !(asHelp && i === words[0]));
  if (single)
    return asHelp
      ? { kind: 'help', text: commandHelp(single), code: EXIT.ok }
      : { kind: 'command', command: single, rest: without(groupAt) };
  if (subs.length === 0) throw new UsageError(`unknown command "${argv[groupAt]}"`);
  const next = argv[groupAt + 1];
  const subName = next !== undefined && !next.startsWith('-') ? (SUB_ALIASES[next] ?? next) : undefined;
  const sub = subName !== undefined ? subs.find((c) => c.name === `${group} ${subName}`) : undefined;
  if (sub)
    return asHelp
      ? { kind: 'help', text: commandHelp(sub), code: EXIT.ok }
      : { kind: 'command', command: sub, rest: without(groupAt, groupAt + 1) };
  const groupHelp = `usage: ferry ${group} <${subs.map((c) => c.name.split(' ')[1]).join('|')}> …\n${summaries(subs)}`;
  if (asHelp || (subName === undefined && (argv.includes('--help') || argv.includes('-h'))))
    return { kind: 'help', text: groupHelp, code: EXIT.ok };
  if (subName === undefined && DEFAULT_SUB[group]) {
    const command = subs.find((c) => c.name === `${group} ${DEFAULT_SUB[group]}`)!;
    return { kind: 'command', command, rest: without(groupAt) };
  }
  const problem =
    subName === undefined ? `"ferry ${group}" needs a subcommand` : `unknown subcommand "${next}" for "ferry ${group}"`;
  return { kind: 'help', text: `ferry: ${problem}\n${groupHelp}`, code: EXIT.usage };
}

function parse(command: Command, args: string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...GLOBAL, ...command.options }, allowPositionals: true, strict: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS')) throw error;
    throw new UsageError((error as Error).message.split('. ')[0]!.replace(/\.$/, ''));
  }
  const names = command.args ?? [];
  const { positionals } = parsed;
  if (positionals.length < names.length) throw new UsageError(`missing ${names[positionals.length]}`);
  if (positionals.length > names.length) throw new UsageError(`unexpected argument "${positionals[names.length]}"`);
  return { values: parsed.values as Record<string, string | boolean | undefined>, positionals };
}

function summaries(commands: Command[]): string {
  const short = (c: Command) => [c.name, ...(c.args ?? [])].join(' ');
  const width = Math.max(...commands.map((c) => short(c).length));
  return commands.map((c) => `  ${short(c).padEnd(width)}  ${c.summary}`).join('\n') + '\n';
}

function generalHelp(): string {
  return `ferry — the command line of Ferry, the IOMMU-aware live-migration orchestrator\n\nusage: ferry <command> [options]\n\nCommands:\n${summaries(COMMANDS)}\nRun 'ferry <command> --help' for a command's options.\n\n${GLOBAL_HELP}`;
}

function commandHelp(command: Command): string {
  const options = Object.entries(command.options ?? {}).map(
    ([name, o]) => `--${name}${o.type === 'string' ? ' VALUE' : ''}`,
  );
  return `usage: ${usageLine(command)}\n\n${command.summary}\n${command.help ? `\n${command.help.trimEnd()}\n` : ''}${options.length ? `\nOptions: ${options.join(', ')}\n` : ''}\n${GLOBAL_HELP}`;
}
