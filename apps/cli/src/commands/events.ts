// ferry events [--after N] [--limit N] [--follow]: the event log, in commit order.
import { EXIT, intOption, printJson, str, type Command, type Ctx } from '../cli.js';
import { table, type Cell } from '../format.js';
import type { Schemas } from '../api-types.js';

type StoredEvent = Schemas['StoredEvent'];

const matches = (prefixes: string[] | undefined, e: StoredEvent) =>
  !prefixes || prefixes.some((p) => e.streamId.startsWith(p));
const row = (e: StoredEvent): Cell[] => [e.position, e.recordedAt, e.streamId, e.type, e.metadata?.actor];
const HEADERS = ['POSITION', 'RECORDED', 'STREAM', 'TYPE', 'ACTOR'];
const WIDTHS = [8, 24, 28, 28];

/** A streamed row cannot be aligned against rows still to come: fixed widths instead. */
const fixedRow = (cells: Cell[]) =>
  cells
    .map((c, i) => (i < WIDTHS.length ? String(c ?? '-').padEnd(WIDTHS[i]!) : String(c ?? '-')))
    .join('  ')
    .trimEnd();

const events: Command = {
  name: 'events',
  usage: '[--after POSITION] [--limit N] [--streams PREFIX,…] [--follow]',
  summary: 'the event log; --follow keeps printing new events as they are written',
  help: `Without --follow: the events after --after (default 0), at most --limit of them (default: all).
With --follow: from --after if given, else only new events; --json prints one JSON event per line.
--streams keeps streams whose id starts with one of the prefixes (host-, guest-vm-1, migration-).`,
  options: {
    after: { type: 'string' },
    limit: { type: 'string' },
    follow: { type: 'boolean', short: 'f' },
    streams: { type: 'string' },
  },
  async run(ctx, values) {
    const after = intOption(values, 'after');
    const limit = intOption(values, 'limit');
    const prefixes = str(values, 'streams')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (values.follow === true) return follow(ctx, after, prefixes);
    const found: StoredEvent[] = [];
    let cursor = after ?? 0;
    while (limit === undefined || found.length < limit) {
      const { body } = await ctx.client.call('get', '/v1/events', { query: { after: cursor, limit: 1000 } });
      found.push(...body.events.filter((e) => matches(prefixes, e)));
      if (body.events.length === 0 || body.next === cursor) break;
      cursor = body.next;
    }
    const page = limit === undefined ? found : found.slice(0, limit);
    const next = page.at(-1)?.position ?? after ?? 0;
    if (ctx.json) return printJson(ctx, { events: page, next });
    if (page.length === 0) ctx.err(`no events after position ${after ?? 0}`);
    else for (const line of table(HEADERS, page.map(row))) ctx.out(line);
    return EXIT.ok;
  },
};

async function follow(ctx: Ctx, after: number | undefined, prefixes: string[] | undefined): Promise<number> {
  const controller = new AbortController();
  const signal = ctx.io.interrupt ? AbortSignal.any([controller.signal, ctx.io.interrupt]) : controller.signal;
  if (!ctx.json) ctx.out(fixedRow(HEADERS));
  try {
    const query = { after, streams: prefixes?.join(',') };
    for await (const message of ctx.client.stream('/v1/stream', query, signal)) {
      const event = JSON.parse(message.data) as StoredEvent;
      if (ctx.json) ctx.out(JSON.stringify(event));
      else ctx.out(fixedRow(row(event)));
    }
  } finally {
    controller.abort();
  }
  if (signal.aborted) return EXIT.ok;
  ctx.err('ferry: the server closed the event stream');
  return EXIT.failed;
}

export const eventsCommands: Command[] = [events];
