// Wiring: hash routes (#/, #/cell/migration/<guest>/<host>, #/cell/hotplug/<guest>/<reservation>,
// #/guest/<id>, #/guest/<id>/at/<position>), the live stream, and the load-time measurement.
import { token, whenUnauthorized } from './api.js';
import { debounce } from './dom.js';
import { renderCell } from './drilldown.js';
import { renderGuest } from './guest.js';
import { connectLive } from './live.js';
import { createMatrix } from './matrix.js';
import { createMigrations } from './migrations.js';
import { createOverview } from './overview.js';
import { createRecent } from './recent.js';
import { createStore } from './store.js';

const $ = (selector) => document.querySelector(selector);
const home = $('#home');
const detail = $('#detail');
const store = createStore();

// A 401 anywhere: ask for a token once, then start over with it.
const tokenForm = $('#token-form');
whenUnauthorized(() => {
  if (!tokenForm.hidden) return;
  tokenForm.hidden = false;
  tokenForm.querySelector('input').focus();
});
tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  token.set(new FormData(tokenForm).get('token').trim());
  location.reload();
});

// "Loaded" = overview counts drawn and the first screenful of the matrix filled in. The API answers
// one request at a time, so whatever is not needed for that first view waits until it is done (or
// 3 s, if something fails).
let pendingParts = 2;
let loaded;
const afterLoad = new Promise((resolve) => {
  loaded = resolve;
  setTimeout(resolve, 3000);
});
const partReady = () => {
  if (--pendingParts > 0) return;
  const ms = Math.round(performance.now());
  document.body.dataset.loadMs = String(ms);
  performance.mark('ferry-dashboard-loaded');
  $('#matrix-status').title = `page loaded in ${ms} ms`;
  loaded();
};

const matrix = createMatrix($('#matrix'), store, { onFirstReady: partReady });
const overview = createOverview($('#overview'), store, {
  onFirstReady: partReady,
  afterLoad,
  onCodes: (codes) => matrix.setCodes(codes),
  onCode: (code) => {
    matrix.setFilters({ code, view: 'list', kind: 'migration', verdict: '', severity: '' });
    $('#matrix').scrollIntoView({ block: 'start' });
  },
});
const migrations = createMigrations($('#migrations'));
const recent = createRecent($('#recent-events'));

function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'cell' && parts.length === 4 && (parts[1] === 'migration' || parts[1] === 'hotplug'))
    return { name: 'cell', kind: parts[1], guestId: parts[2], target: parts[3] };
  if (parts[0] === 'guest' && parts.length === 2) return { name: 'guest', guestId: parts[1] };
  if (parts[0] === 'guest' && parts.length === 4 && parts[2] === 'at' && /^\d+$/.test(parts[3]))
    return { name: 'guest', guestId: parts[1], asOf: Number(parts[3]) };
  return { name: 'home' };
}

let current = { name: 'home' };
let homeScroll = 0;

function show() {
  const previous = current;
  current = parseRoute();
  const atHome = current.name === 'home';
  if (previous.name === 'home' && !atHome) homeScroll = window.scrollY;
  home.hidden = !atHome;
  detail.hidden = atHome;
  if (atHome) {
    matrix.shown();
    window.scrollTo(0, homeScroll);
    document.title = 'Ferry dashboard';
    return;
  }
  window.scrollTo(0, 0);
  if (current.name === 'cell') {
    document.title = `${current.guestId} · ${current.target} · Ferry`;
    renderCell(detail, current).then(() => detail.querySelector('h2')?.focus());
  } else {
    document.title = `${current.guestId} · Ferry`;
    renderGuest(detail, current).then(() => detail.querySelector('h2')?.focus());
  }
}

window.addEventListener('hashchange', show);
show();
overview.load();
matrix.start();
afterLoad.then(() => {
  migrations.load();
  recent.load();
});

// Live: the matrix and counts follow fleet changes (coalesced: a fleet file can write thousands of
// events at once), migrations and the event list follow every event.
const refreshFleet = debounce(
  () => {
    overview.load();
    matrix.refresh();
  },
  500,
  3000,
);
const refreshDetail = debounce(
  () => {
    if (current.name === 'cell') renderCell(detail, current);
    else if (current.name === 'guest' && current.asOf === undefined) renderGuest(detail, current);
  },
  500,
  3000,
);

const status = $('#live-status');
connectLive({
  onStatus(state) {
    status.dataset.state = state;
    status.textContent = state === 'live' ? 'live' : state === 'closed' ? 'disconnected' : 'reconnecting…';
  },
  onEvent(event) {
    recent.add(event);
    migrations.onEvent(event);
    const stream = event.streamId ?? '';
    if (stream.startsWith('host-') || stream.startsWith('guest-') || stream === 'machine-defaults') {
      refreshFleet();
      if (current.name === 'cell' || (current.name === 'guest' && stream === `guest-${current.guestId}`))
        refreshDetail();
    }
  },
});
