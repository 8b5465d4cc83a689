// ferry migrate, ferry migration show | cancel: live migrations through the API,
// watched over the event stream (GET /v1/stream) until they end.
import { ApiError, NetworkError } from '../client.js';
import { EXIT, intOption, need, pause, printJson, str, type Command, type Ctx, type Values } from '../cli.js';
import { bytes, conflictLines, duration, fields, type Conflict } from '../format.js';
import { ProgressPrinter, progressText, type Progress } from '../progress.js';
import { printPlan } from './plan.js';
import type { Schemas } from '../api-types.js';

type Migration = Schemas['Migration'];
type StoredEvent = Schemas['StoredEvent'];

/** A migration's final states and the exit code each one means. */
export const TERMINAL: Record<string, number> = {
  completed: EXIT.ok,
  failed: EXIT.failed,
  cancelled: EXIT.failed,
  rejected: EXIT.blocked,
};
const ENDING_EVENTS: Record<string, string> = {
  MigrationCompleted: 'completed',
  MigrationFailed: 'failed',
  MigrationCancelled: 'cancelled',
  MigrationRejected: 'rejected',
};
export const INTERRUPTED = 130;

/** Prints one migration event; returns the final state when the event ends the migration. */
function describeEvent(printer: ProgressPrinter, ctx: Ctx, event: StoredEvent): string | undefined {
  // The document types event data as any JSON: each event type has its own shape (docs/architecture.md).
  const d = (event.data ?? {}) as Record<string, any>;
  switch (event.type) {
    case 'MigrationRequested':
      printer.line(
        `requested: ${d.guestId} ${d.sourceHostId} → ${d.destinationHostId}${d.policy?.downtimeLimitMs ? ` (downtime limit ${d.policy.downtimeLimitMs} ms)` : ''}`,
      );
      break;
    case 'MigrationWaiting':
      printer.line(`waiting: ${d.reason}`);
      break;
    case 'MigrationReplanned':
      printer.line(
        `re-planned: ${d.plan?.verdict ?? '?'}${d.stale ? ' (the fleet changed since it was requested)' : ''}`,
      );
      break;
    case 'MigrationStarted':
      printer.line(`started${d.attempt ? ` (attempt ${d.attempt}${d.worker ? ` on ${d.worker}` : ''})` : ''}`);
      break;
    case 'MigrationProgressed':
      printer.progress(d as Progress);
      break;
    case 'MigrationPolicyAdjusted':
      printer.line(
        `policy: ${[d.downtimeLimitMs !== undefined && `downtime limit ${d.downtimeLimitMs} ms`, d.postcopy && 'switching to post-copy'].filter(Boolean).join(', ')}${d.reason ? ` (${d.reason})` : ''}`,
      );
      break;
    case 'MigrationSwitchedOver':
      printer.line(`switched over (${d.mode}) at ${duration(d.elapsedMs)}`);
      break;
    case 'MigrationCancelRequested':
      printer.line(`cancel requested${d.by ? ` by ${d.by}` : ''}`);
      break;
    case 'MigrationCompleted':
      printer.line(
        `completed in ${duration(d.totalTimeMs)}: downtime ${duration(d.downtimeMs)}, ${bytes(d.transferredBytes)} transferred in ${d.iterations} iteration${d.iterations === 1 ? '' : 's'}${d.mode ? ` (${d.mode})` : ''}`,
      );
      break;
    case 'MigrationFailed':
      printer.line(ctx.style.red(`failed: ${d.reason}`));
      break;
    case 'MigrationCancelled':
      printer.line(`cancelled: ${d.reason}`);
      break;
    case 'MigrationRejected':
      printer.line(ctx.style.red(`rejected: ${d.reason}`));
      for (const line of conflictLines(ctx.style, (d.conflicts ?? []) as Conflict[])) printer.line(line);
      break;
    default:
      printer.line(event.type);
  }
  return ENDING_EVENTS[event.type];
}

/** Follows a migration's events until it ends; returns its exit code. Ctrl-C stops watching only. */
export async function watchMigration(ctx: Ctx, id: string): Promise<number> {
  const printer = new ProgressPrinter(ctx, ctx.json);
  const stop = new AbortController();
  const signal = ctx.io.interrupt ? AbortSignal.any([stop.signal, ctx.io.interrupt]) : stop.signal;
  const streamId = `migration-${id}`;
  let cursor = 0;
  let final: string | undefined;
  try {
    // What already happened (a fast migration may be over before we listen), then the live stream from there.
    const { body } = await ctx.client.call('get', '/v1/streams/{streamId}', { params: { streamId } });
    for (const event of body.events) {
      cursor = Math.max(cursor, event.position);
      final ??= describeEvent(printer, ctx, event);
    }
    for (let failures = 0; final === undefined && !signal.aborted;) {
      try {
        for await (const message of ctx.client.stream('/v1/stream', { after: cursor, streams: streamId }, signal)) {
          const event = JSON.parse(message.data) as StoredEvent;
          if (event.streamId !== streamId) continue;
          cursor = Math.max(cursor, event.position);
          failures = 0;
          final = describeEvent(printer, ctx, event);
          if (final) break;
        }
      } catch (error) {
        if (!(error instanceof NetworkError) || ++failures > 5) throw error;
      }
      if (final === undefined && !signal.aborted) {
        // The server closed the stream (restart, proxy timeout): check, then listen again.
        const { body: migration } = await ctx.client.call('get', '/v1/migrations/{id}', { params: { id } });
        if (TERMINAL[migration.state] !== undefined) {
          final = migration.state;
          printer.line(`${final}${typeof migration.outcome === 'string' ? `: ${migration.outcome}` : ''}`);
        } else await pause(500 * Math.min(failures + 1, 4), signal);
      }
    }
  } finally {
    stop.abort();
    printer.end();
  }
  if (final === undefined) {
    ctx.err(
      `stopped watching; migration ${id} goes on (ferry migration show ${id} --watch, ferry migration cancel ${id})`,
    );
    return INTERRUPTED;
  }
  if (ctx.json) printJson(ctx, (await ctx.client.call('get', '/v1/migrations/{id}', { params: { id } })).body);
  return TERMINAL[final] ?? EXIT.failed;
}

function policyOf(values: Values): Schemas['ConvergencePolicy'] | undefined {
  const policy: Schemas['ConvergencePolicy'] = {};
  const limit = intOption(values, 'downtime-limit');
  if (limit !== undefined) policy.downtimeLimitMs = limit;
  const bandwidth = str(values, 'max-bandwidth');
  if (bandwidth !== undefined) policy.maxBandwidth = bandwidth;
  if (values['no-auto-converge'] === true) policy.autoConverge = false;
  return Object.keys(policy).length ? policy : undefined;
}

const migrate: Command = {
  name: 'migrate',
  args: ['GUEST'],
  usage: '--to HOST [--watch] [--postcopy] [--downtime-limit MS] [--max-bandwidth SIZE] [--no-auto-converge]',
  summary: 'live-migrate a guest; --watch follows it to the end with a progress bar',
  help: `The plan is checked first: when it is blocked nothing starts and the conflicts are printed (exit 2).
With --watch the exit code is the migration's: 0 completed, 1 failed or cancelled, 2 rejected on re-plan.
Ctrl-C stops watching; the migration goes on.`,
  options: {
    to: { type: 'string' },
    watch: { type: 'boolean', short: 'w' },
    postcopy: { type: 'boolean' },
    'downtime-limit': { type: 'string' },
    'max-bandwidth': { type: 'string' },
    'no-auto-converge': { type: 'boolean' },
  },
  async run(ctx, values, [guestId]) {
    const destinationHostId = need(values, 'to', 'HOST');
    const request: Schemas['RequestMigrationRequest'] = {
      guestId: guestId!,
      destinationHostId,
      policy: policyOf(values),
      options: values.postcopy === true ? { postcopy: true } : undefined,
    };
    let migration: Migration;
    try {
      migration = (await ctx.client.call('post', '/v1/migrations', { json: request })).body;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 409 || error.body.error !== 'migration_blocked') throw error;
      if (ctx.json) return printJson(ctx, error.body, EXIT.blocked);
      ctx.err(`ferry: ${error.body.message}`);
      return printPlan(ctx, `migrate ${guestId} → ${destinationHostId}`, {
        verdict: 'blocked',
        conflicts: (error.body.conflicts ?? []) as Conflict[],
      });
    }
    if (values.watch !== true) {
      if (ctx.json) return printJson(ctx, migration);
      ctx.out(`migration ${migration.id} ${migration.state}: ${guestId} → ${destinationHostId}`);
      ctx.out(ctx.style.dim(`follow it: ferry migration show ${migration.id} --watch`));
      return EXIT.ok;
    }
    if (!ctx.json) ctx.out(`migration ${migration.id}: ${guestId} → ${destinationHostId}`);
    return watchMigration(ctx, migration.id);
  },
};

const migrationShow: Command = {
  name: 'migration show',
  args: ['MIGRATION'],
  usage: '[--watch]',
  summary: "a migration's state and last progress; --watch follows it",
  options: { watch: { type: 'boolean', short: 'w' } },
  async run(ctx, values, [id]) {
    if (values.watch === true) return watchMigration(ctx, id!);
    const { body: m } = await ctx.client.call('get', '/v1/migrations/{id}', { params: { id: id! } });
    if (ctx.json) return printJson(ctx, m);
    for (const line of fields([
      ['id', m.id],
      ['guest', m.guestId],
      ['route', `${m.sourceHostId} → ${m.destinationHostId}`],
      ['state', m.state],
      ['waiting for', m.waitingReason],
      ['progress', m.lastProgress ? progressText(m.lastProgress).trim() : null],
      [
        'outcome',
        typeof m.outcome === 'string' || !m.outcome ? (m.outcome as string | null) : JSON.stringify(m.outcome),
      ],
    ]))
      ctx.out(line);
    return EXIT.ok;
  },
};

const migrationCancel: Command = {
  name: 'migration cancel',
  args: ['MIGRATION'],
  summary: 'cancel a migration that has not finished',
  async run(ctx, _values, [id]) {
    const { body } = await ctx.client.call('post', '/v1/migrations/{id}/cancel', { params: { id: id! } });
    if (ctx.json) return printJson(ctx, body);
    ctx.out(`migration ${id}: cancel requested${body?.state ? ` (${body.state})` : ''}`);
    return EXIT.ok;
  },
};

export const migrateCommands: Command[] = [migrate, migrationShow, migrationCancel];
