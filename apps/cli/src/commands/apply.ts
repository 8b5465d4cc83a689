// ferry apply -f fleet.yaml: sends a fleet file as desired state; only differences become events.
import { readFile } from 'node:fs/promises';
import { EXIT, need, type Command, type Ctx } from '../cli.js';
import { table } from '../format.js';
import type { Schemas } from '../api-types.js';

/** A file's text, or stdin for "-". */
export async function readInput(ctx: Ctx, file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  let text = '';
  for await (const chunk of ctx.io.stdin) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text;
}

const apply: Command = {
  name: 'apply',
  usage: '-f FILE',
  summary: 'apply a fleet file (YAML or JSON; "-f -" reads stdin) in one transaction',
  help: 'Idempotent: applying the same file twice changes nothing. A rejected file writes nothing and names the fields.',
  options: { file: { type: 'string', short: 'f' } },
  async run(ctx, values) {
    const file = need(values, 'file', 'FILE', '-f');
    const text = await readInput(ctx, file);
    // YAML is a superset of JSON, and the API keeps YAML's unquoted hex exact: only *.json goes as JSON.
    // The server validates the file and names every field at fault; here it is only text or JSON.
    const { body } = await ctx.client.call(
      'post',
      '/v1/fleet',
      file.endsWith('.json') ? { json: parseJson(file, text) as Schemas['FleetFile'] } : { yaml: text },
    );
    if (ctx.json) {
      ctx.out(JSON.stringify(body, null, 2));
      return EXIT.ok;
    }
    if (body.changed.length) {
      for (const line of table(
        ['KIND', 'ID', 'EVENTS'],
        body.changed.map((c) => [c.kind, c.id, summarise(c.events)]),
      ))
        ctx.out(line);
      ctx.out();
    }
    ctx.out(
      `${body.changed.length} changed, ${body.unchanged} unchanged, ${body.eventsWritten} event${body.eventsWritten === 1 ? '' : 's'} written${typeof body.lastPosition === 'number' ? ` (log at ${body.lastPosition})` : ''}`,
    );
    return EXIT.ok;
  },
};

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** ["DeviceAttached", "DeviceAttached", "GuestPlaced"] → "DeviceAttached ×2, GuestPlaced" */
function summarise(events: string[]): string {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e, (counts.get(e) ?? 0) + 1);
  return [...counts].map(([e, n]) => (n > 1 ? `${e} ×${n}` : e)).join(', ');
}

export const applyCommands: Command[] = [apply];
