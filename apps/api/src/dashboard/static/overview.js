// Fleet overview: how many guests and hosts, how the matrix's cells split by verdict, and which rule
// codes fire how often. The per-verdict columns of the code table each cost the API one pass over the
// whole matrix, so they are filled in after the first paint.
import { api } from './api.js';
import { h } from './dom.js';
import { count } from './format.js';

export function createOverview(section, store, { onCode, onCodes, onFirstReady, afterLoad = Promise.resolve() }) {
  const cards = section.querySelector('#overview-cards');
  const codesBody = section.querySelector('#codes-table tbody');
  const classesBody = section.querySelector('#host-classes-table tbody');
  const poolsBody = section.querySelector('#pools-table tbody');
  let seq = 0;
  let firstReady = false;

  const card = (label, value, cls, hint) =>
    h(
      'div',
      { class: ['card', cls], title: hint },
      h('span', { class: 'value', text: value === undefined ? '…' : count(value) }),
      h('span', { class: 'label', text: label }),
    );

  async function load() {
    const mine = ++seq;
    let migration, hotplug, hosts, guests;
    try {
      [migration, hotplug, hosts, guests] = await Promise.all([
        api.conflicts({ kind: 'migration', limit: 1 }),
        api.conflicts({ kind: 'hotplug', limit: 1 }),
        store.hosts(),
        store.guestPage(0),
      ]);
    } catch (error) {
      cards.replaceChildren(
        h('p', { class: 'error', role: 'alert', text: `Could not load the overview: ${error.message}` }),
      );
      return;
    }
    if (mine !== seq) return;
    const m = migration.counts;
    const p = hotplug.counts;
    cards.replaceChildren(
      card('guests', guests.total, 'neutral'),
      card('hosts', hosts.length, 'neutral'),
      card(
        'hosts unreachable',
        hosts.filter((host) => host.reachable === false).length,
        'tone-blocked',
        'hosts whose agent fell silent: not schedulable until it reports again',
      ),
      card(
        'migration cells blocked',
        m.byVerdict.blocked,
        'tone-blocked',
        'guest × host pairs where a live migration would fail or corrupt',
      ),
      card(
        'with corruption risk',
        m.bySeverity.corruption,
        'tone-corruption',
        'migration cells with a finding of severity corruption',
      ),
      card('migration cells with warnings', m.byVerdict.warnings, 'tone-warnings'),
      card('migration cells ok', m.byVerdict.ok, 'tone-ok'),
      card(
        'hot-plug cells blocked',
        p.byVerdict.blocked,
        'tone-blocked',
        'reserved devices that cannot be hot-plugged on the guest’s current host',
      ),
      card('hot-plug cells with warnings', p.byVerdict.warnings, 'tone-warnings'),
    );
    const byCode = sumCounts(m.byCode, p.byCode);
    const codes = Object.keys(byCode).sort((a, b) => byCode[b] - byCode[a] || (a < b ? -1 : 1));
    onCodes?.(codes);
    const max = Math.max(1, ...Object.values(byCode));
    codesBody.replaceChildren(
      ...(codes.length
        ? codes.map((code) =>
            h(
              'tr',
              { data: { code } },
              h(
                'th',
                { scope: 'row' },
                h('button', {
                  type: 'button',
                  class: 'linkish',
                  data: { code },
                  'aria-label': `List the cells with ${code}`,
                  text: code,
                }),
              ),
              h('td', { class: 'num' }, bar(byCode[code] / max), count(byCode[code])),
              h('td', { class: 'num', data: { col: 'blocked' }, text: '…' }),
              h('td', { class: 'num', data: { col: 'corruption' }, text: '…' }),
              h('td', { class: 'num', data: { col: 'warnings' }, text: '…' }),
            ),
          )
        : [h('tr', {}, h('td', { colspan: 5, text: 'No findings: every cell is ok.' }))]),
    );
    section.dataset.ready = 'true';
    if (!firstReady) {
      firstReady = true;
      onFirstReady?.();
    }
    // Second pass, once the matrix has had its turn at the API.
    afterLoad.then(() => breakdown(mine)).then(() => groups(mine));
  }

  /** Per host class and per pool: aggregates, never the matrix itself (10^9 cells on a large fleet). */
  async function groups(mine) {
    try {
      const [classes, pools] = await Promise.all([
        api.summary({ groupBy: 'hostClass', kind: 'migration' }),
        api.summary({ groupBy: 'pool', kind: 'migration' }),
      ]);
      if (mine !== seq) return;
      const row = (label, title, group) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row', title, text: label }),
          h('td', { class: 'num', text: count(group.hosts) }),
          h('td', { class: 'num', text: count(group.counts.byVerdict.blocked) }),
          h('td', { class: 'num', text: count(group.counts.byVerdict.warnings) }),
          h('td', { class: 'num', text: count(group.counts.byVerdict.ok) }),
        );
      classesBody.replaceChildren(
        ...classes.groups.slice(0, 50).map((g) => {
          const d = g.description;
          return row(
            `${g.key} · ${d.arch} ${d.cpuVendor} ${d.iommu}, kernel ${d.kernel}`,
            `e.g. ${d.exampleHost}; ${d.groups} IOMMU groups, ${d.devices} devices, QEMU ${d.qemuVersion ?? '?'}`,
            g,
          );
        }),
      );
      poolsBody.replaceChildren(...pools.groups.slice(0, 50).map((g) => row(g.key ?? '(no pool)', '', g)));
    } catch {
      // Aggregates are a nicety next to the totals.
    }
  }

  async function breakdown(mine) {
    try {
      const [blocked, corruption, warnings] = await Promise.all([
        api.conflicts({ verdict: 'blocked', limit: 1 }),
        api.conflicts({ severity: 'corruption', limit: 1 }),
        api.conflicts({ verdict: 'warnings', limit: 1 }),
      ]);
      if (mine !== seq) return;
      const columns = {
        blocked: blocked.counts.byCode,
        corruption: corruption.counts.byCode,
        warnings: warnings.counts.byCode,
      };
      for (const row of codesBody.querySelectorAll('tr[data-code]')) {
        for (const [col, byCode] of Object.entries(columns))
          row.querySelector(`[data-col="${col}"]`).textContent = count(byCode[row.dataset.code] ?? 0);
      }
    } catch {
      // The totals are already there; the split is a nicety.
    }
  }

  codesBody.addEventListener('click', (event) => {
    const code = event.target.closest('button[data-code]')?.dataset.code;
    if (code) onCode(code);
  });

  return { load };
}

function sumCounts(...maps) {
  const out = {};
  for (const map of maps) for (const [k, v] of Object.entries(map ?? {})) out[k] = (out[k] ?? 0) + v;
  return out;
}

function bar(fraction) {
  const el = h('span', { class: 'bar-inline', 'aria-hidden': 'true' });
  el.style.width = `${Math.max(2, Math.round(fraction * 80))}px`;
  return el;
}
