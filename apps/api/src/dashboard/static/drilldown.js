// One matrix cell: every conflict with its evidence and remedy, and the address-space picture.
import { addressMap } from './address-map.js';
import { api } from './api.js';
import { h, route } from './dom.js';
import { errorBox, evidenceList, findingChips, verdictBadge } from './widgets.js';

/** kind 'migration': target is a host id; kind 'hotplug': target is a reservation id. */
export async function renderCell(root, { kind, guestId, target }) {
  root.replaceChildren(h('p', { class: 'status', text: 'Loading…' }));
  let plan, guest, host;
  try {
    [plan, guest] = await Promise.all([
      api.cell(kind === 'migration' ? { guest: guestId, host: target } : { guest: guestId, reservation: target }),
      api.guest(guestId),
    ]);
    host = await api.host(kind === 'migration' ? target : guest.host);
  } catch (error) {
    root.replaceChildren(backLink(), errorBox(error));
    return;
  }
  const conflicts = plan.conflicts ?? [];
  const heading = kind === 'migration' ? `${guestId} → ${target}` : `${guestId}: hot-plug ${target} on ${host.id}`;
  const mapBox = h('div', {
    class: 'map-scroll',
    tabindex: '0',
    'aria-label': 'Address-space picture (scrolls sideways)',
  });
  root.replaceChildren(
    backLink(),
    h('h2', { id: 'drilldown-title', tabindex: '-1' }, heading, ' ', verdictBadge(plan.verdict, conflicts)),
    kind === 'migration'
      ? h(
          'p',
          {},
          'Live migration of ',
          h('a', { href: route('guest', guestId), text: guestId }),
          ` (${guest.machine}, now on ${guest.host}) to ${host.id} (pool ${host.pool ?? '—'}, ${host.arch}, ${host.iommu?.model ?? 'no IOMMU'}).`,
        )
      : h(
          'p',
          {},
          `Hot-plug of reservation ${target} into `,
          h('a', { href: route('guest', guestId), text: guestId }),
          ` (${guest.machine}) on its current host ${host.id} (${host.iommu?.model ?? 'no IOMMU'}).`,
        ),
    h(
      'section',
      { class: 'address-space', 'aria-labelledby': 'map-title' },
      h('h3', { id: 'map-title', text: 'Address space' }),
      h('p', {
        class: 'hint',
        text: 'Guest-physical addresses are IOVAs once VFIO maps guest RAM (IOVA = GPA without a vIOMMU). Not to scale: each stretch between two labelled addresses grows with the log of its size, so a 64 KiB window stays visible next to gigabytes of RAM.',
      }),
      mapBox,
    ),
    h(
      'section',
      { 'aria-labelledby': 'conflicts-title' },
      h('h3', { id: 'conflicts-title', text: conflicts.length ? `Conflicts (${conflicts.length})` : 'No conflicts' }),
      conflicts.length
        ? h('ol', { class: 'conflicts' }, conflicts.map(conflictItem))
        : h('p', { text: 'Nothing in the planner’s rules stands in the way.' }),
    ),
    h('details', { class: 'inputs' }, h('summary', { text: 'Computed from' }), evidenceList(plan.inputs ?? {}, [])),
  );
  mapBox.append(addressMap({ guest, host, conflicts, width: Math.max(900, root.clientWidth - 40) }));
}

function conflictItem(c) {
  return h(
    'li',
    { class: `conflict s-${c.severity}`, data: { code: c.code } },
    h('h4', {}, findingChips([c]), ' ', h('span', { class: 'severity', text: c.severity })),
    h('p', { class: 'message', text: c.message }),
    h('p', { class: 'remedy' }, h('strong', { text: 'Remedy: ' }), c.remedy),
    h('details', { open: true }, h('summary', { text: 'Evidence' }), evidenceList(c.evidence)),
    c.evidence?.fact
      ? h('p', { class: 'fact' }, h('strong', { text: 'Why: ' }), c.evidence.fact, ` (${c.section})`)
      : null,
  );
}

const backLink = () => h('p', {}, h('a', { href: '#/', class: 'back', text: '← Back to the fleet' }));
