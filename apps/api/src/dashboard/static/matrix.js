// The conflict matrix. Grid: guests × hosts, one coloured cell per migration verdict; only the cells
// in view exist in the DOM, and only the rows in view are fetched (one /v1/conflicts?guest= call per
// row), so 10,000 × 1,000 costs what a screenful costs. List: the server's own paging over matching
// cells, for any kind and filter.
import { api } from './api.js';
import { h, route } from './dom.js';
import { count } from './format.js';
import { GUEST_PAGE } from './store.js';
import { errorBox, findingChips, verdictBadge, verdictClass } from './widgets.js';

const CELL = 18; // px, cells are square
const OVERSCAN = 2;
const PARALLEL = 4; // the browser allows 6 connections; one is the event stream
const ROW_CACHE = 600;
const LIST_PAGE = 100;

export function createMatrix(section, store, { onFirstReady }) {
  const form = section.querySelector('#matrix-filters');
  const status = section.querySelector('#matrix-status');
  const gridView = section.querySelector('#matrix-grid');
  const body = gridView.querySelector('.grid-body');
  const sizer = body.querySelector('.grid-sizer');
  const colInner = gridView.querySelector('.grid-colheads-inner');
  const rowInner = gridView.querySelector('.grid-rowheads-inner');
  const listView = section.querySelector('#matrix-list');
  const listBody = listView.querySelector('tbody');
  const pagerInfo = listView.querySelector('.pager-info');
  const layer = h('div', { class: 'grid-layer' });
  sizer.append(layer);

  let filters = readForm();
  let allHosts = [];
  let columns = [];
  let searched; // {id, host} when a guest id is searched, null if there is no such guest
  let rowGen = 0; // bumps on a filter change (row cache cleared) and on fleet changes (rows stale)
  const rows = new Map(); // guest id → { gen, cells: Map(host id → cell) } | { gen, error }
  const inflight = new Set();
  let wanted = [];
  let active = { r: 0, c: 0 };
  let listOffset = 0;
  let frame = 0;
  let firstReady = false;
  let listSeq = 0;
  let stamps = 0;
  let columnStamp = 0;
  // What is in the DOM now, by key: only what changed is replaced (sync below).
  let drawnCols = new Map();
  let drawnHeads = new Map();
  let drawnRows = new Map();

  function readForm() {
    const data = new FormData(form);
    const get = (k) => String(data.get(k) ?? '').trim();
    return {
      view: get('view') || 'grid',
      kind: get('kind') || 'migration',
      pool: get('pool'),
      arch: get('arch'),
      host: get('host'),
      guest: get('guest'),
      code: get('code'),
      severity: get('severity'),
      verdict: get('verdict'),
    };
  }

  const exactHost = () => (allHosts.some((x) => x.id === filters.host) ? filters.host : undefined);
  const gridMode = () => filters.view === 'grid' && filters.kind === 'migration';

  function computeColumns() {
    const needle = filters.host.toLowerCase();
    columnStamp++;
    columns = allHosts.filter(
      (x) =>
        (!filters.pool || x.pool === filters.pool) &&
        (!filters.arch || x.arch === filters.arch) &&
        (!needle || x.id.toLowerCase().includes(needle)),
    );
  }

  function fillSelect(name, values) {
    const select = form.elements.namedItem(name);
    const current = select.value;
    select.replaceChildren(
      h('option', { value: '', text: 'all' }),
      ...values.map((v) => h('option', { value: v, text: v })),
    );
    select.value = values.includes(current) ? current : '';
  }

  async function loadHosts() {
    allHosts = await store.hosts();
    fillSelect('pool', [...new Set(allHosts.map((x) => x.pool).filter(Boolean))].sort());
    fillSelect('arch', [...new Set(allHosts.map((x) => x.arch))].sort());
    const list = section.querySelector('#host-ids');
    list.replaceChildren(...allHosts.slice(0, 2000).map((x) => h('option', { value: x.id })));
    computeColumns();
  }

  // ---- rows ------------------------------------------------------------------------------------

  const rowCount = () => (filters.guest ? (searched ? 1 : 0) : (store.guestTotal ?? 0));
  const guestAt = (i) => (filters.guest ? searched : store.guestAt(i));

  async function fetchRow(guest, gen) {
    inflight.add(guest.id);
    try {
      const cells = new Map();
      for (let offset = 0; ; offset += 1000) {
        const page = await api.conflicts({
          kind: 'migration',
          guest: guest.id,
          pool: filters.pool,
          host: exactHost(),
          code: filters.code,
          severity: filters.severity,
          verdict: filters.verdict,
          offset,
          limit: 1000,
        });
        for (const c of page.cells) cells.set(c.hostId, c);
        if (page.cells.length === 0 || offset + page.cells.length >= page.total) break;
      }
      if (gen === rowGen) rows.set(guest.id, { gen, cells, stamp: ++stamps });
    } catch (error) {
      if (gen === rowGen) rows.set(guest.id, { gen, error, stamp: ++stamps });
    } finally {
      inflight.delete(guest.id);
      // Oldest first out: a Map iterates in insertion order.
      while (rows.size > ROW_CACHE) rows.delete(rows.keys().next().value);
      schedule();
    }
  }

  function pump() {
    while (inflight.size < PARALLEL && wanted.length) {
      const guest = wanted.shift();
      if (!inflight.has(guest.id)) fetchRow(guest, rowGen);
    }
  }

  // ---- grid rendering ----------------------------------------------------------------------------

  function schedule() {
    if (!frame)
      frame = requestAnimationFrame(() => {
        frame = 0;
        render();
      });
  }

  function visibleRange() {
    const r0 = Math.max(0, Math.floor(body.scrollTop / CELL) - OVERSCAN);
    const r1 = Math.min(rowCount(), Math.ceil((body.scrollTop + body.clientHeight) / CELL) + OVERSCAN);
    const c0 = Math.max(0, Math.floor(body.scrollLeft / CELL) - OVERSCAN);
    const c1 = Math.min(columns.length, Math.ceil((body.scrollLeft + body.clientWidth) / CELL) + OVERSCAN);
    return { r0, r1, c0, c1 };
  }

  function renderGrid() {
    // As tall as the rows need, up to most of the window (plus room for a scrollbar).
    body.style.height = `${Math.min(Math.max(rowCount() * CELL + 18, 80), Math.round(window.innerHeight * 0.62))}px`;
    sizer.style.width = `${columns.length * CELL}px`;
    sizer.style.height = `${rowCount() * CELL}px`;
    const { r0, r1, c0, c1 } = visibleRange();

    // Rows whose guest page is missing or stale: fetch those pages (the old page stays drawn meanwhile).
    if (!filters.guest) {
      for (let p = Math.floor(r0 / GUEST_PAGE); p <= Math.floor(Math.max(r0, r1 - 1) / GUEST_PAGE); p++) {
        if (!store.pageIsFresh(p)) store.guestPage(p).then(schedule, (error) => showError(error));
      }
    }

    colInner.style.transform = `translateX(${-body.scrollLeft}px)`;
    colInner.style.width = `${columns.length * CELL}px`;
    const colEntries = [];
    for (let c = c0; c < c1; c++) {
      const host = columns[c];
      colEntries.push([
        `${c}|${host.id}|${columnStamp}`,
        () => {
          const head = h('div', {
            class: host.reachable === false ? 'colhead unreachable' : 'colhead',
            title:
              `${host.id} · ${host.pool ?? 'no pool'} · ${host.arch}${host.cordoned ? ' · cordoned' : ''}` +
              (host.reachable === false ? ` · unreachable: ${host.unreachableReason}` : ''),
            text: host.reachable === false ? `⚠ ${host.id}` : host.id,
          });
          head.style.left = `${c * CELL}px`;
          return head;
        },
      ]);
    }
    drawnCols = sync(colInner, drawnCols, colEntries);

    rowInner.style.transform = `translateY(${-body.scrollTop}px)`;
    rowInner.style.height = `${rowCount() * CELL}px`;
    const headEntries = [];
    const rowEntries = [];
    const need = [];
    let pending = 0;
    for (let r = r0; r < r1; r++) {
      const guest = guestAt(r);
      headEntries.push([
        `${r}|${guest?.id ?? ''}`,
        () => {
          const head = guest
            ? h('a', {
                class: 'rowhead',
                href: route('guest', guest.id),
                title: `${guest.id} on ${guest.host}`,
                text: guest.id,
              })
            : h('span', { class: 'rowhead loading', text: '…' });
          head.style.top = `${r * CELL}px`;
          return head;
        },
      ]);
      const row = guest && rows.get(guest.id);
      if (guest && (!row || row.gen !== rowGen) && !inflight.has(guest.id)) need.push(guest);
      if (!row || row.gen !== rowGen) pending++;
      // A row's cells are rebuilt only when its data, the column range or the focused cell change.
      const activeC = active.r === r ? active.c : -1;
      rowEntries.push([
        `${r}|${guest?.id ?? ''}|${c0}|${c1}|${columnStamp}|${row?.stamp ?? 0}|${activeC}`,
        () => rowGroup(r, guest, row, c0, c1, activeC),
      ]);
    }
    drawnHeads = sync(rowInner, drawnHeads, headEntries);
    drawnRows = sync(layer, drawnRows, rowEntries);
    // Visible rows first, top to bottom; anything scrolled away is simply not asked for.
    wanted = need;
    pump();

    const shown = rowCount()
      ? `rows ${count(r0 + 1)}–${count(Math.max(r0 + 1, r1))} of ${count(rowCount())} guests`
      : filters.guest
        ? `no guest with id “${filters.guest}”`
        : 'no guests';
    status.textContent = `${shown} × ${count(columns.length)} hosts${filters.arch ? ` (${filters.arch})` : ''}${filters.pool ? ` in ${filters.pool}` : ''}${pending ? ` · loading ${pending} rows…` : ''}`;
    gridView.dataset.pending = String(pending);
    if (!pending && rowCount() >= 0 && (store.guestTotal !== undefined || filters.guest)) ready();
  }

  /** One row in view: a strip ("loading", "failed" or "filtered out") with its cells on top. */
  function rowGroup(r, guest, row, c0, c1, activeC) {
    const group = h('div', { class: 'rowgroup' });
    group.style.top = `${r * CELL}px`;
    const strip = h('div', {
      class: ['strip', !row ? 'loading' : row.error ? 'failed' : 'dim'],
      title: row?.error ? `Could not load: ${row.error.message}` : undefined,
    });
    strip.style.left = `${c0 * CELL}px`;
    strip.style.width = `${(c1 - c0) * CELL}px`;
    group.append(strip);
    if (!row || row.error) return group;
    for (let c = c0; c < c1; c++) {
      const host = columns[c];
      const cell = host.id === guest.host ? 'own' : row.cells.get(host.id);
      if (cell || c === activeC) group.append(cellElement(guest, host, cell, r, c, c === activeC));
    }
    return group;
  }

  function cellElement(guest, host, cell, r, c, isActive) {
    let el;
    if (cell === 'own' || !cell) {
      const what = cell === 'own' ? 'its current host' : rows.get(guest.id) ? 'filtered out' : 'loading';
      el = h('span', {
        class: ['cell', cell === 'own' ? 'own' : 'blank'],
        role: 'img',
        'aria-label': `${guest.id} on ${host.id}: ${what}`,
        title: `${guest.id} · ${host.id}: ${what}`,
      });
    } else {
      const codes = cell.findings.map((f) => `${f.code} (${f.severity})`).join(', ');
      const label = `${guest.id} → ${host.id}: ${cell.verdict}${codes ? ` — ${codes}` : ''}`;
      el = h('button', {
        type: 'button',
        class: ['cell', `v-${verdictClass(cell.verdict, cell.findings)}`],
        title: label,
        'aria-label': label,
        data: {
          guest: guest.id,
          host: host.id,
          verdict: cell.verdict,
          codes: cell.findings.map((f) => f.code).join(' '),
        },
      });
    }
    el.tabIndex = isActive ? 0 : -1;
    el.dataset.r = String(r);
    el.dataset.c = String(c);
    el.style.left = `${c * CELL}px`;
    return el;
  }

  function move(dr, dc) {
    active = { r: clamp(active.r + dr, 0, rowCount() - 1), c: clamp(active.c + dc, 0, columns.length - 1) };
    const top = active.r * CELL;
    const left = active.c * CELL;
    if (top < body.scrollTop) body.scrollTop = top;
    else if (top + CELL > body.scrollTop + body.clientHeight) body.scrollTop = top + CELL - body.clientHeight;
    if (left < body.scrollLeft) body.scrollLeft = left;
    else if (left + CELL > body.scrollLeft + body.clientWidth) body.scrollLeft = left + CELL - body.clientWidth;
    render();
    layer.querySelector('[tabindex="0"]')?.focus();
  }

  body.addEventListener('keydown', (event) => {
    const step = {
      ArrowUp: [-1, 0],
      ArrowDown: [1, 0],
      ArrowLeft: [0, -1],
      ArrowRight: [0, 1],
      PageUp: [-20, 0],
      PageDown: [20, 0],
    }[event.key];
    if (!step) return;
    event.preventDefault();
    move(...step);
  });
  layer.addEventListener('click', (event) => {
    const cell = event.target.closest('button.cell');
    if (cell) location.hash = route('cell', 'migration', cell.dataset.guest, cell.dataset.host);
  });
  layer.addEventListener('focusin', (event) => {
    const el = event.target.closest('.cell');
    if (el) active = { r: Number(el.dataset.r), c: Number(el.dataset.c) };
  });
  body.addEventListener('scroll', schedule, { passive: true });
  new ResizeObserver(schedule).observe(body);

  // ---- list (server paging) -------------------------------------------------------------------

  async function renderList() {
    const seq = ++listSeq;
    const notes = [];
    if (filters.arch) notes.push('the arch filter narrows grid columns only');
    if (filters.host && !exactHost())
      notes.push(`no host is called exactly “${filters.host}”, so hosts are not filtered here`);
    status.textContent = 'Loading…';
    let page;
    try {
      page = await api.conflicts({
        kind: filters.kind,
        pool: filters.pool,
        host: exactHost(),
        guest: filters.guest,
        code: filters.code,
        severity: filters.severity,
        verdict: filters.verdict,
        offset: listOffset,
        limit: LIST_PAGE,
      });
    } catch (error) {
      if (seq === listSeq) showError(error);
      return;
    }
    if (seq !== listSeq) return;
    listBody.replaceChildren(
      ...page.cells.map((cell) => {
        const link =
          cell.kind === 'migration'
            ? route('cell', 'migration', cell.guestId, cell.hostId)
            : route('cell', 'hotplug', cell.guestId, cell.reservationId);
        return h(
          'tr',
          { data: { guest: cell.guestId, host: cell.hostId, verdict: cell.verdict } },
          h('th', { scope: 'row' }, h('a', { href: route('guest', cell.guestId), text: cell.guestId })),
          h('td', { text: cell.hostId }),
          h('td', { text: cell.reservationId ?? '—' }),
          h('td', {}, verdictBadge(cell.verdict, cell.findings)),
          h('td', {}, findingChips(cell.findings)),
          h(
            'td',
            {},
            h('a', {
              href: link,
              class: 'button',
              'aria-label': `Details for ${cell.guestId} and ${cell.reservationId ?? cell.hostId}`,
              text: 'Details',
            }),
          ),
        );
      }),
    );
    const last = listOffset + page.cells.length;
    pagerInfo.textContent = page.total
      ? `cells ${count(listOffset + 1)}–${count(last)} of ${count(page.total)}`
      : 'no matching cells';
    listView.querySelector('[data-page="prev"]').disabled = listOffset === 0;
    listView.querySelector('[data-page="next"]').disabled = last >= page.total;
    status.textContent = `${count(page.total)} ${filters.kind} cells match${notes.length ? ` (${notes.join('; ')})` : ''}`;
    ready();
  }

  listView.addEventListener('click', (event) => {
    const which = event.target.closest('[data-page]')?.dataset.page;
    if (!which) return;
    listOffset = Math.max(0, listOffset + (which === 'next' ? LIST_PAGE : -LIST_PAGE));
    renderList();
  });

  // ---- filters and refresh ---------------------------------------------------------------------

  function showError(error) {
    status.replaceChildren(errorBox(error));
  }

  function ready() {
    section.dataset.ready = 'true';
    if (!firstReady) {
      firstReady = true;
      onFirstReady?.();
    }
  }

  function render() {
    const grid = gridMode();
    gridView.hidden = !grid;
    listView.hidden = grid;
    form.querySelector('input[name="view"][value="grid"]').disabled = filters.kind !== 'migration';
    if (grid) renderGrid();
  }

  async function apply() {
    filters = readForm();
    rowGen++;
    rows.clear();
    listOffset = 0;
    active = { r: 0, c: 0 };
    body.scrollTop = 0;
    body.scrollLeft = 0;
    computeColumns();
    searched = undefined;
    if (filters.guest) {
      try {
        const g = await api.guest(filters.guest);
        searched = { id: g.id, host: g.host };
      } catch (error) {
        searched = null;
        if (error.status !== 404) showError(error);
      }
    }
    render();
    if (!gridMode()) renderList();
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply();
  });
  form.addEventListener('change', (event) => {
    if (event.target.type !== 'search') apply();
  });
  form.addEventListener('reset', () => setTimeout(apply));

  return {
    async start() {
      try {
        await loadHosts();
      } catch (error) {
        showError(error);
      }
      await apply();
    },
    /** The fleet changed: keep what is drawn, refetch what is in view. */
    async refresh() {
      store.invalidate();
      rowGen++;
      try {
        await loadHosts();
      } catch {
        // keep the old columns
      }
      if (filters.guest) await apply();
      else if (gridMode()) schedule();
      else renderList();
    },
    /** Sets some filters (e.g. a rule code chosen in the overview) and applies them. */
    setFilters(values) {
      for (const [name, value] of Object.entries(values)) {
        const field = form.elements.namedItem(name);
        if (field instanceof RadioNodeList) field.value = value;
        else if (field) field.value = value;
      }
      return apply();
    },
    setCodes(codes) {
      fillSelect('code', [...codes].sort());
    },
    /** After being hidden the grid has to measure itself again. */
    shown: schedule,
  };
}

const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));

/** Makes `container` hold exactly the entries' nodes, reusing those already there (order is free: all are absolutely positioned). */
function sync(container, drawn, entries) {
  const next = new Map();
  for (const [key, make] of entries) next.set(key, drawn.get(key) ?? make());
  for (const [key, node] of drawn) if (!next.has(key)) node.remove();
  for (const node of next.values()) if (node.parentNode !== container) container.append(node);
  return next;
}
