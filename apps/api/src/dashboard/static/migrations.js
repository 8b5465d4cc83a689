// Active migrations with live progress bars: listed once from /v1/migrations, then moved by the
// MigrationProgressed events of the live stream (no polling).
import { api } from './api.js';
import { h, route } from './dom.js';
import { bytesNumber, count, size } from './format.js';

const ACTIVE = ['requested', 'waiting', 'running'];
const TERMINAL = new Set(['MigrationCompleted', 'MigrationFailed', 'MigrationCancelled', 'MigrationRejected']);

/** One request where the API takes a list of states, else one per state. */
async function activeMigrations() {
  try {
    return (await api.migrations(ACTIVE.join(','))).items ?? [];
  } catch (error) {
    if (error.status !== 400) throw error;
    return (await Promise.all(ACTIVE.map((state) => api.migrations(state)))).flatMap((page) => page.items ?? []);
  }
}

// A finished migration stays on the list this long, so the operator sees how it ended.
const LINGER_MS = 8000;
const STATES = {
  MigrationStarted: 'running',
  MigrationWaiting: 'waiting',
  MigrationSwitchedOver: 'switching over',
  MigrationCompleted: 'completed',
  MigrationFailed: 'failed',
  MigrationCancelled: 'cancelled',
  MigrationRejected: 'rejected',
};

export function createMigrations(list) {
  const items = new Map(); // migration id → { migration, li, bar, fill, finishing }
  let available = true;
  let seq = 0;

  const showEmpty = () => {
    if (!items.size && !list.querySelector('.empty'))
      list.replaceChildren(h('li', { class: 'muted empty', text: 'No migration is in progress.' }));
  };

  async function load() {
    const mine = ++seq;
    let found;
    try {
      found = await activeMigrations();
    } catch (error) {
      if (mine !== seq) return;
      // Until the server offers migrations the section says so instead of failing.
      available = error.status !== 404;
      list.replaceChildren(
        h('li', {
          class: 'muted',
          text: available ? `Could not load migrations: ${error.message}` : 'This server has no migrations API.',
        }),
      );
      return;
    }
    if (mine !== seq) return;
    list.querySelector('li:not(.migration)')?.remove();
    const active = new Set(found.map((m) => m.id));
    for (const m of found) upsert(m);
    // Gone from the active list: it ended while we were not looking.
    for (const entry of items.values()) if (!active.has(entry.migration.id) && !entry.finishing) finish(entry, 'ended');
    showEmpty();
  }

  function upsert(m) {
    let entry = items.get(m.id);
    if (!entry) {
      list.querySelector('.empty')?.remove();
      const fill = h('span', { class: 'fill' });
      const bar = h(
        'span',
        {
          class: 'progress',
          role: 'progressbar',
          'aria-valuemin': '0',
          'aria-valuemax': '100',
          'aria-label': `Migration ${m.id} progress`,
          data: { migration: m.id },
        },
        fill,
      );
      const li = h(
        'li',
        { class: 'migration', data: { migration: m.id } },
        h(
          'div',
          { class: 'migration-head' },
          h('a', { href: route('guest', m.guestId), text: m.guestId }),
          ` ${m.sourceHostId} → ${m.destinationHostId} `,
          h('span', { class: 'state' }),
        ),
        bar,
        h('div', { class: 'migration-detail muted' }),
      );
      entry = { migration: m, li, bar, fill, finishing: false };
      items.set(m.id, entry);
      list.append(li);
    }
    entry.migration = { ...entry.migration, ...m };
    draw(entry);
  }

  function finish(entry, state) {
    entry.finishing = true;
    entry.migration = { ...entry.migration, state };
    draw(entry);
    setTimeout(() => {
      entry.li.remove();
      items.delete(entry.migration.id);
      showEmpty();
    }, LINGER_MS);
  }

  function draw({ migration: m, li, bar, fill }) {
    const p = m.lastProgress;
    const total = bytesNumber(p?.totalBytes);
    const remaining = bytesNumber(p?.remainingBytes);
    const percent =
      m.state === 'completed' ? 100 : total > 0 ? Math.max(0, Math.min(100, ((total - remaining) / total) * 100)) : 0;
    fill.style.width = `${percent.toFixed(1)}%`;
    bar.setAttribute('aria-valuenow', percent.toFixed(0));
    bar.setAttribute('aria-valuetext', `${percent.toFixed(0)}%`);
    li.querySelector('.state').textContent = m.state + (m.waitingReason ? ` (${m.waitingReason})` : '');
    li.dataset.state = m.state;
    li.querySelector('.migration-detail').textContent = p
      ? `${percent.toFixed(0)}% · ${size(BigInt(p.transferredBytes))} sent of ${size(BigInt(p.totalBytes))} · iteration ${p.iteration} · ${count(Math.round(p.mbps))} Mbit/s · expected downtime ${count(p.expectedDowntimeMs)} ms (limit ${count(p.downtimeLimitMs)} ms)${p.cpuThrottlePercentage ? ` · CPU throttled ${p.cpuThrottlePercentage}%` : ''}`
      : m.state;
  }

  let reloadTimer;
  const reloadSoon = () => {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(load, 300);
  };

  return {
    load,
    /** A stored event from the live stream: known migrations are updated in place, new ones listed. */
    onEvent(event) {
      if (!available || !event.streamId?.startsWith('migration-')) return;
      const entry = items.get(event.streamId.slice('migration-'.length));
      if (!entry) {
        if (!TERMINAL.has(event.type)) reloadSoon();
        return;
      }
      if (entry.finishing) return;
      if (event.type === 'MigrationProgressed') {
        entry.migration = { ...entry.migration, state: 'running', lastProgress: event.data };
        draw(entry);
      } else if (TERMINAL.has(event.type)) {
        finish(entry, STATES[event.type]);
      } else if (STATES[event.type]) {
        entry.migration = {
          ...entry.migration,
          state: STATES[event.type],
          waitingReason: event.type === 'MigrationWaiting' ? event.data?.reason : null,
        };
        draw(entry);
      }
    },
  };
}
