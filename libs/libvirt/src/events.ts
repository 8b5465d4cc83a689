// Domain events from `virsh event --loop --all --timestamp`. virsh has no other form for events; its
// lines are fixed by virsh's source (`event '<type>' for domain '<name>': <detail>`), and for a
// lifecycle event the detail is two fixed words (virDomainEventType and its detail), so this is a
// strict grammar rather than prose. Anything else is reported as `unparsed`, never guessed.
import { jobStatsOf, parseTypedParameters, type JobStats } from './job-stats.js';

export type DomainEvent =
  | { kind: 'lifecycle'; at: string; domain: string; event: string; detail: string }
  | { kind: 'migration-iteration'; at: string; domain: string; iteration: number }
  | { kind: 'job-completed'; at: string; domain: string; stats: JobStats }
  | { kind: 'other'; at: string; domain: string; type: string; detail: string };

const LINE = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\+\d{4}): event '([a-z-]+)' for domain '(.+?)':(?: (.*))?$/;

/**
 * Splits virsh's output into events; a job-completed event carries its statistics on the following
 * tab-indented lines. Returns the events and the unfinished tail to keep for the next chunk.
 */
export function parseEventChunk(buffer: string): { events: DomainEvent[]; rest: string; unparsed: string[] } {
  const lines = buffer.split('\n');
  const rest = lines.pop() ?? '';
  const events: DomainEvent[] = [];
  const unparsed: string[] = [];
  let pending: { at: string; domain: string; body: string[] } | undefined;
  const flush = () => {
    if (!pending) return;
    events.push({
      kind: 'job-completed',
      at: pending.at,
      domain: pending.domain,
      stats: jobStatsOf('completed', parseTypedParameters(pending.body.join('\n'))),
    });
    pending = undefined;
  };
  for (const line of lines) {
    if (pending && line.startsWith('\t')) {
      pending.body.push(line);
      continue;
    }
    flush();
    if (line.trim() === '' || line.startsWith('event loop')) continue;
    const match = LINE.exec(line);
    if (!match) {
      unparsed.push(line);
      continue;
    }
    const [, at, type, domain, detail = ''] = match as unknown as [string, string, string, string, string?];
    if (type === 'job-completed') pending = { at, domain, body: [] };
    else if (type === 'lifecycle') {
      const [event = '', lifecycleDetail = ''] = detail.split(' ');
      events.push({ kind: 'lifecycle', at, domain, event, detail: lifecycleDetail });
    } else if (type === 'migration-iteration') {
      const iteration = /^iteration: '(\d+)'$/.exec(detail);
      if (iteration) events.push({ kind: 'migration-iteration', at, domain, iteration: Number(iteration[1]) });
      else unparsed.push(line);
    } else events.push({ kind: 'other', at, domain, type, detail });
  }
  // virsh prints a job-completed event in one write; a chunk that ends mid-line may still be cutting it.
  if (pending && rest !== '') {
    return {
      events,
      rest: [`${pending.at}: event 'job-completed' for domain '${pending.domain}':`, ...pending.body, rest].join('\n'),
      unparsed,
    };
  }
  flush();
  return { events, rest, unparsed };
}
