// One guest: where it can go, its devices' IOMMU policies, and its history, with time travel: any
// event in its stream can be chosen and the guest is shown as it was right after it (?asOf=).
import { addressMap } from './address-map.js';
import { api } from './api.js';
import { fill, h, route } from './dom.js';
import { hex, rangeSize, size, time } from './format.js';
import { errorBox, findingChips, verdictBadge } from './widgets.js';

export async function renderGuest(root, { guestId, asOf }) {
  root.replaceChildren(h('p', { class: 'status', text: 'Loading…' }));
  let guest, history, destinations;
  try {
    [guest, history, destinations] = await Promise.all([
      api.guest(guestId, asOf),
      api.stream(`guest-${guestId}`),
      // Ranking is for the fleet as it is now; it is not shown for a past state.
      asOf === undefined ? api.destinations(guestId).catch((error) => ({ error })) : Promise.resolve(undefined),
    ]);
  } catch (error) {
    root.replaceChildren(back(), errorBox(error));
    return;
  }
  const events = history.events ?? [];
  const at = asOf === undefined ? undefined : events.find((e) => e.position === asOf);
  const mapBox = h('div', {
    class: 'map-scroll',
    tabindex: '0',
    'aria-label': 'Memory map picture (scrolls sideways)',
  });
  fill(
    root,
    back(),
    h('h2', { id: 'guest-title', tabindex: '-1' }, `Guest ${guest.id}`),
    asOf !== undefined
      ? h(
          'p',
          { class: 'banner', role: 'note' },
          `As of event #${asOf}${at ? ` (${at.type}, ${time(at.recordedAt)})` : ''}, stream version ${guest.version}. `,
          h('a', { href: route('guest', guestId), text: 'Back to now' }),
        )
      : null,
    summary(guest),
    h(
      'div',
      { class: 'two-col' },
      h(
        'section',
        { 'aria-labelledby': 'mm-title' },
        h('h3', { id: 'mm-title', text: 'Memory map' }),
        memoryTable(guest.memoryMap ?? []),
        mapBox,
      ),
      h(
        'section',
        { 'aria-labelledby': 'dev-title' },
        h('h3', { id: 'dev-title', text: 'Devices and IOMMU policy' }),
        deviceTable(guest.devices ?? []),
        h('h3', { text: 'Hot-plug reservations' }),
        reservations(guest),
      ),
    ),
    destinations === undefined ? null : destinationsSection(guestId, destinations),
    historySection(guestId, events, asOf),
  );
  mapBox.append(addressMap({ guest, width: Math.max(700, root.clientWidth / 2) }));
}

function summary(g) {
  const mem = g.memory ?? {};
  const rows = [
    ['Host', g.host ?? '—'],
    ['Machine', g.machine],
    ['vCPU vendor', g.cpuVendor],
    ['Memory', `${mem.ram}${mem.max ? ` (max ${mem.max}, ${mem.slots ?? 0} slots)` : ''}`],
    ['Phys bits', g.physBits],
    ['vIOMMU', g.viommu],
    ['Migration', g.migration ? JSON.stringify(g.migration) : 'none'],
    ['Stream version', g.version],
  ];
  return h(
    'dl',
    { class: 'summary' },
    rows.map(([k, v]) => [h('dt', { text: k }), h('dd', { text: v ?? '—' })]),
  );
}

function memoryTable(entries) {
  return h(
    'table',
    { class: 'memory-map' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Start', 'End', 'Size', 'Kind', 'Label'].map((t) => h('th', { scope: 'col', text: t })),
      ),
    ),
    h(
      'tbody',
      {},
      entries.map((e) =>
        h(
          'tr',
          { class: `k-${e.kind}` },
          h('td', {}, h('code', { text: hex(e.start) })),
          h('td', {}, h('code', { text: hex(e.end) })),
          h('td', { text: size(rangeSize(e)) }),
          h('td', { text: e.kind }),
          h('td', { text: e.label ?? '' }),
        ),
      ),
    ),
  );
}

const SOURCES = { device: 'set on the device', 'machine-default': 'machine default', default: 'QEMU default (off)' };

function deviceTable(devices) {
  if (!devices.length) return h('p', { text: 'No devices.' });
  return h(
    'table',
    { class: 'devices' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Device', 'Kind', 'iommu_platform', 'Where it comes from'].map((t) => h('th', { scope: 'col', text: t })),
      ),
    ),
    h(
      'tbody',
      {},
      devices.map((d) => {
        const eff = d.effectiveIommuPlatform;
        const source = eff ? `${SOURCES[eff.source] ?? eff.source}${eff.rule ? ` (rule ${eff.rule})` : ''}` : '—';
        return h(
          'tr',
          {},
          h('th', { scope: 'row', text: d.id }),
          h('td', {
            text: `${d.kind}${d.hostDevice ? ` ${d.hostDevice}` : ''}${d.transitional ? ' (transitional)' : ''}`,
          }),
          h('td', { class: eff ? `on-${eff.value}` : '', text: eff ? (eff.value ? 'on' : 'off') : 'n/a' }),
          h('td', { text: source }),
        );
      }),
    ),
  );
}

function reservations(g) {
  const list = g.hotplugReservations ?? [];
  if (!list.length) return h('p', { text: 'None.' });
  return h(
    'ul',
    { class: 'plain' },
    list.map((r) =>
      h(
        'li',
        {},
        h('a', { href: route('cell', 'hotplug', g.id, r.id), text: r.id }),
        ` — ${r.kind}${r.deviceClass ? ` (${r.deviceClass})` : ''}${r.hostDevice ? ` ${r.hostDevice}` : ''}${r.size ? ` ${r.size}` : ''}`,
      ),
    ),
  );
}

function destinationsSection(guestId, ranking) {
  const body = ranking.error
    ? errorBox(ranking.error)
    : h(
        'div',
        {},
        h(
          'table',
          { class: 'destinations' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Rank', 'Host', 'Pool', 'Verdict', 'Free memory', 'Findings'].map((t) =>
                h('th', { scope: 'col', text: t }),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            (ranking.destinations ?? []).map((d) =>
              h(
                'tr',
                {},
                h('td', { text: d.rank }),
                h(
                  'th',
                  { scope: 'row' },
                  h('a', { href: route('cell', 'migration', guestId, d.host.id), text: d.host.id }),
                ),
                h('td', { text: d.pool ?? '—' }),
                h('td', {}, verdictBadge(d.verdict, d.conflicts)),
                h('td', { text: d.freeMemory }),
                h('td', {}, findingChips(d.conflicts)),
              ),
            ),
          ),
        ),
        (ranking.excluded ?? []).length
          ? h(
              'div',
              {},
              h('h4', { text: 'Excluded' }),
              h(
                'ul',
                { class: 'plain' },
                ranking.excluded.map((x) => h('li', {}, h('strong', { text: x.host.id }), `: ${x.reason}`)),
              ),
            )
          : null,
      );
  return h(
    'section',
    { 'aria-labelledby': 'dest-title' },
    h('h3', { id: 'dest-title', text: 'Where it can go' }),
    body,
  );
}

function historySection(guestId, events, asOf) {
  return h(
    'section',
    { 'aria-labelledby': 'hist-title' },
    h('h3', { id: 'hist-title', text: `History (${events.length} events)` }),
    h(
      'ol',
      { class: 'history' },
      events.map((e) =>
        h(
          'li',
          { class: e.position === asOf ? 'current' : '', 'aria-current': e.position === asOf ? 'step' : false },
          h('span', { class: 'pos', text: `#${e.position}` }),
          ' ',
          h('time', { datetime: e.recordedAt, text: time(e.recordedAt) }),
          ' ',
          h('strong', { text: e.type }),
          ' ',
          h('span', { class: 'muted', text: eventSummary(e) }),
          ' ',
          h('a', {
            href: route('guest', guestId, 'at', e.position),
            class: 'button',
            'aria-label': `Show ${guestId} as of event ${e.position}`,
            text: 'as of here',
          }),
        ),
      ),
    ),
  );
}

/** One line about an event's data, for the history and the recent-events list. */
export function eventSummary(e) {
  const d = e.data ?? {};
  if (d.device?.id) return `device ${d.device.id} (${d.device.kind})`;
  if (d.deviceId) return `device ${d.deviceId}${'iommuPlatform' in d ? ` iommu_platform=${d.iommuPlatform}` : ''}`;
  if (d.hostId) return `host ${d.hostId}`;
  if (d.reservation?.id) return `reservation ${d.reservation.id}`;
  if (d.reason) return String(d.reason);
  if (d.status) return `${d.status}, iteration ${d.iteration}`;
  return '';
}

const back = () => h('p', {}, h('a', { href: '#/', class: 'back', text: '← Back to the fleet' }));
