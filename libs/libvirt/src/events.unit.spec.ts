import { describe, expect, it } from 'vitest';
import { parseEventChunk } from './events.js';

// Captured from `virsh event --loop --all --timestamp` on a migration's source.
const SOURCE = `2026-12-06 08:46:35.403+0000: event 'migration-iteration' for domain 'dev-cce5b1': iteration: '8'
2026-12-06 08:46:35.809+0000: event 'lifecycle' for domain 'dev-cce5b1': Suspended Migrated
2026-12-06 08:46:37.534+0000: event 'lifecycle' for domain 'dev-cce5b1': Stopped Migrated
2026-12-06 08:46:37.535+0000: event 'job-completed' for domain 'dev-cce5b1':
\toperation: 5
\ttime_elapsed: 30611
\tdowntime: 87
\tmemory_total: 268828672
\tmemory_processed: 502629872
\tmemory_remaining: 0
\tmemory_iteration: 10
`;

describe('virsh event lines', () => {
  it('reads lifecycle, migration-iteration and job-completed events with their statistics', () => {
    const { events, rest, unparsed } = parseEventChunk(SOURCE);
    expect(unparsed).toEqual([]);
    expect(rest).toBe('');
    expect(events.map((e) => e.kind)).toEqual(['migration-iteration', 'lifecycle', 'lifecycle', 'job-completed']);
    expect(events[0]).toMatchObject({ domain: 'dev-cce5b1', iteration: 8 });
    expect(events[2]).toMatchObject({ event: 'Stopped', detail: 'Migrated' });
    const completed = events[3]!;
    expect(completed.kind === 'job-completed' && completed.stats.downtimeMs).toBe(87);
    expect(completed.kind === 'job-completed' && completed.stats.memory.processedBytes).toBe(502629872n);
  });

  it('keeps a line cut by the chunk boundary for the next chunk, and reports lines it does not know', () => {
    const first = parseEventChunk(
      `2026-12-06 08:46:14.399+0000: event 'lifecycle' for domain 'a b': Started Migrated\n2026-12-06 08:4`,
    );
    expect(first.events).toEqual([
      { kind: 'lifecycle', at: '2026-12-06 08:46:14.399+0000', domain: 'a b', event: 'Started', detail: 'Migrated' },
    ]);
    const second = parseEventChunk(
      `${first.rest}6:15.000+0000: event 'lifecycle' for domain 'x': Resumed Migrated\nsomething else\n`,
    );
    expect(second.events).toHaveLength(1);
    expect(second.unparsed).toEqual(['something else']);
  });
});
