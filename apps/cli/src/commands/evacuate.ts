// ferry evacuate HOST [--watch]: migrate every guest off a host; watched by polling the evacuation.
import { EXIT, pause, printJson, str, type Command, type Ctx } from '../cli.js';
import { conflictLines, table, type Cell } from '../format.js';
import type { Schemas } from '../api-types.js';
import { INTERRUPTED } from './migrate.js';

type Evacuation = Schemas['Evacuation'];
type EvacuationStarted = Schemas['EvacuationStarted'];

const evacuate: Command = {
  name: 'evacuate',
  args: ['HOST'],
  usage: '[--watch] [--reason TEXT]',
  summary: 'cordon a host and migrate every guest off it (exit 2 when some guest has nowhere to go)',
  help: 'With --watch: exit 1 if any move failed, else 2 if some guest was unplaceable, else 0.',
  options: { watch: { type: 'boolean', short: 'w' }, reason: { type: 'string' } },
  async run(ctx, values, [hostId]) {
    const { body: evacuation } = await ctx.client.call('post', '/v1/hosts/{id}/evacuate', {
      params: { id: hostId! },
      json: { reason: str(values, 'reason') },
    });
    const blocked = evacuation.unplaceable.length > 0 ? EXIT.blocked : EXIT.ok;
    if (!ctx.json) printEvacuation(ctx, evacuation);
    if (values.watch !== true) return ctx.json ? printJson(ctx, evacuation, blocked) : blocked;
    const final = await watchEvacuation(ctx, evacuation);
    if (final === undefined) return INTERRUPTED;
    if (ctx.json) printJson(ctx, final);
    const failed = final.moves.some((m) => m.state !== 'completed');
    return failed ? EXIT.failed : blocked;
  },
};

function printEvacuation(ctx: Ctx, e: EvacuationStarted): void {
  ctx.out(
    `evacuation ${e.id} of ${e.hostId}: ${e.moves.length} move${e.moves.length === 1 ? '' : 's'}, ${e.unplaceable.length} unplaceable`,
  );
  if (e.moves.length) {
    ctx.out();
    for (const line of table(
      ['GUEST', 'DESTINATION', 'MIGRATION'],
      e.moves.map((m): Cell[] => [m.guestId, m.destinationHostId, m.migrationId]),
    ))
      ctx.out(line);
  }
  for (const u of e.unplaceable) {
    ctx.out();
    ctx.out(`${ctx.style.red('unplaceable')}: ${u.guestId}`);
    for (const line of conflictLines(ctx.style, u.conflicts ?? [], ctx.io.tty ? ctx.io.columns : undefined))
      ctx.out(`  ${line}`);
  }
}

/** Polls the evacuation and prints each move's state changes until every move has ended. */
async function watchEvacuation(ctx: Ctx, evacuation: EvacuationStarted): Promise<Evacuation | undefined> {
  const say = ctx.json ? ctx.err : ctx.out;
  const seen = new Map<string, string>();
  const signal = ctx.io.interrupt;
  for (;;) {
    const { body } = await ctx.client.call('get', '/v1/evacuations/{id}', { params: { id: evacuation.id } });
    for (const m of body.moves) {
      if (m.state && seen.get(m.guestId) !== m.state) {
        seen.set(m.guestId, m.state);
        say(`${m.guestId} → ${m.destinationHostId}: ${m.state}`);
      }
    }
    if (body.done) {
      say(
        `evacuation ${evacuation.id}: ${body.moves.filter((m) => m.state === 'completed').length}/${body.moves.length} completed, ${body.moves.filter((m) => m.state !== 'completed').length} not`,
      );
      return body;
    }
    if (signal?.aborted) break;
    await pause(500, signal);
    if (signal?.aborted) break;
  }
  ctx.err(`stopped watching; evacuation ${evacuation.id} goes on`);
  return undefined;
}

export const evacuateCommands: Command[] = [evacuate];
