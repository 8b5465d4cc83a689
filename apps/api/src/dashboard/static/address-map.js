// The picture of one address space: the guest's memory map on the same ruler as the host's reserved
// regions, MSI windows, bridge windows and IOMMU aperture, with every overlap the planner found drawn
// as a red band through all lanes. Sizes span 64 KiB to 256 TiB, so the ruler is broken at every
// boundary: each stretch between two neighbouring boundaries gets a width that grows with the log of
// its size and never falls below MIN_SEGMENT pixels. A 64 KiB MSI doorbell inside 16 GiB of RAM is
// then as easy to see as the RAM itself, and every boundary is labelled with its exact hex address.
import { s } from './dom.js';
import { hex, rangeSize, rangeText, size } from './format.js';

const LABEL_W = 200;
const MIN_SEGMENT = 44;
const ROW_H = 24;
const LANE_PAD = 6;
const AXIS_H = 96;

const GUEST_NAMES = {
  ram: 'RAM',
  'device-memory': 'device memory',
  'pci-hole': 'PCI hole',
  mmio: 'MMIO',
  reserved: 'reserved',
};
const HOST_NAMES = { msi: 'MSI', reserved: 'reserved', direct: 'direct', 'direct-relaxable': 'direct-relaxable' };

/** Range-valued evidence keys that mark the trouble spot itself. */
const OVERLAP_KEYS = { overlap: 'overlap', beyondAperture: 'beyond-aperture' };

/** Lanes of items ({kind, start, end, label, data}) from the guest view, host view and conflicts. */
export function lanesOf({ guest, host, conflicts = [] }) {
  const lanes = [];
  if (guest) {
    lanes.push({
      id: 'guest',
      title: `Guest memory map · ${guest.id}`,
      items: guest.memoryMap.map((e) =>
        item('guest', e.kind, e, `${GUEST_NAMES[e.kind] ?? e.kind}${e.label ? ` · ${e.label}` : ''}`),
      ),
    });
  }
  if (host) {
    const regions = new Map();
    for (const group of host.groups ?? []) {
      for (const r of group.reservedRegions ?? []) {
        const key = `${hex(r.start)}-${hex(r.end)}-${r.type}`;
        const seen = regions.get(key);
        if (seen) seen.groups.push(group.id);
        else regions.set(key, { ...r, groups: [group.id] });
      }
    }
    const all = [...regions.values()];
    const regionItem = (r) =>
      item(
        'host',
        r.type,
        r,
        `${HOST_NAMES[r.type] ?? r.type} · group${r.groups.length > 1 ? 's' : ''} ${r.groups.join(', ')}`,
        { group: r.groups.join(',') },
      );
    lanes.push({
      id: 'reserved',
      title: `Reserved regions · ${host.id}`,
      items: all.filter((r) => r.type !== 'msi').map(regionItem),
    });
    lanes.push({ id: 'msi', title: 'MSI windows', items: all.filter((r) => r.type === 'msi').map(regionItem) });
    lanes.push({
      id: 'bridge',
      title: 'Bridge windows',
      items: (host.bridgeWindows ?? []).map((w) => item('bridge', 'bridge-window', w, 'bridge window')),
    });
    const bits = host.iommu?.addressWidthBits;
    if (bits) {
      const aperture = { start: 0n, end: (1n << BigInt(bits)) - 1n };
      lanes.push({
        id: 'iommu',
        title: `IOMMU aperture · ${bits}-bit`,
        items: [item('iommu', 'aperture', aperture, `aperture (${bits}-bit)`)],
      });
    }
  }
  const overlaps = new Map();
  for (const conflict of conflicts) {
    for (const [key, kind] of Object.entries(OVERLAP_KEYS)) {
      const r = conflict.evidence?.[key];
      if (!r?.start || !r?.end) continue;
      const id = `${kind}-${hex(r.start)}-${hex(r.end)}`;
      const seen = overlaps.get(id);
      if (seen) seen.codes.add(conflict.code);
      else overlaps.set(id, { kind, range: r, codes: new Set([conflict.code]), severity: conflict.severity });
    }
  }
  const overlapItems = [...overlaps.values()].map((o) =>
    item(
      'overlap',
      o.kind,
      o.range,
      `${o.kind === 'overlap' ? 'overlap' : 'beyond aperture'} · ${[...o.codes].join(', ')}`,
      { code: [...o.codes].join(','), severity: o.severity },
    ),
  );
  if (overlapItems.length) lanes.push({ id: 'overlap', title: 'Overlaps found', items: overlapItems });
  return lanes;
}

function item(layer, kind, range, label, data = {}) {
  return { layer, kind, start: BigInt(range.start), end: BigInt(range.end), label, data };
}

/** Boundary → x. Every item edge is a boundary, so every item maps exactly. */
function scaleOf(lanes, width) {
  const points = new Set([0n]);
  for (const lane of lanes) for (const it of lane.items) points.add(it.start).add(it.end + 1n);
  const bounds = [...points].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const weights = [];
  for (let i = 0; i + 1 < bounds.length; i++) weights.push(Math.max(1, bitLength(bounds[i + 1] - bounds[i]) - 10));
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const free = Math.max(width - weights.length * MIN_SEGMENT, weights.length * MIN_SEGMENT * 0.5);
  const x = new Map();
  let at = 0;
  bounds.forEach((b, i) => {
    x.set(b, at);
    if (i < weights.length) at += MIN_SEGMENT + (free * weights[i]) / total;
  });
  return { bounds, x: (address) => x.get(address), width: at };
}

const bitLength = (n) => n.toString(2).length;

/** Puts overlapping items of one lane on separate rows. */
function stack(items) {
  const rowEnds = [];
  const sorted = [...items].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (const it of sorted) {
    let row = rowEnds.findIndex((end) => end < it.start);
    if (row < 0) row = rowEnds.push(it.end) - 1;
    else rowEnds[row] = it.end;
    it.row = row;
  }
  return Math.max(1, rowEnds.length);
}

/** An <svg> for the given lanes; `width` is the space the ruler may use (it grows if it must). */
export function addressMap({ guest, host, conflicts, width = 1000 }) {
  const lanes = lanesOf({ guest, host, conflicts });
  const scale = scaleOf(lanes, Math.max(400, width - LABEL_W - 40));
  const X = (address) => LABEL_W + scale.x(address);
  const hasOverlaps = lanes.some((l) => l.id === 'overlap');
  const TOP = hasOverlaps ? 58 : 14; // room for the overlap callouts
  let y = TOP;
  for (const lane of lanes) {
    lane.y = y;
    lane.height = stack(lane.items) * ROW_H + LANE_PAD * 2;
    y += lane.height + 4;
  }
  const lanesBottom = y;
  const svgWidth = LABEL_W + scale.width + 90; // room for the last rotated label
  const svgHeight = lanesBottom + AXIS_H;
  const overlaps = lanes.find((l) => l.id === 'overlap')?.items ?? [];
  const hits = (it) =>
    it.layer !== 'overlap' && it.layer !== 'iommu' && overlaps.some((o) => o.start <= it.end && it.start <= o.end);

  const svg = s('svg', {
    class: 'address-map',
    width: svgWidth,
    height: svgHeight,
    viewBox: `0 0 ${svgWidth} ${svgHeight}`,
    role: 'img',
    'aria-labelledby': 'address-map-title address-map-desc',
  });
  svg.append(
    s('title', { id: 'address-map-title', text: `Address space of ${guest?.id ?? ''}${host ? ` on ${host.id}` : ''}` }),
  );
  svg.append(s('desc', { id: 'address-map-desc', text: describe(lanes, overlaps) }));

  for (const lane of lanes) {
    svg.append(s('rect', { class: `lane lane-${lane.id}`, x: 0, y: lane.y, width: svgWidth, height: lane.height }));
    svg.append(s('text', { class: 'lane-title', x: 8, y: lane.y + lane.height / 2 + 4, text: lane.title }));
    if (lane.items.length === 0)
      svg.append(s('text', { class: 'lane-empty', x: LABEL_W + 6, y: lane.y + lane.height / 2 + 4, text: 'none' }));
  }

  // Bands first so the regions they cross stay readable on top of them.
  for (const o of overlaps) {
    const x0 = X(o.start);
    const x1 = X(o.end + 1n);
    svg.append(s('rect', { class: 'overlap-band', x: x0, y: TOP - 8, width: x1 - x0, height: lanesBottom - TOP + 8 }));
  }

  for (const lane of lanes) {
    for (const it of lane.items) {
      const x0 = X(it.start);
      const x1 = X(it.end + 1n);
      const ry = lane.y + LANE_PAD + it.row * ROW_H;
      const title = `${it.label}: ${rangeText(it)} (${size(rangeSize(it))})`;
      const rect = s(
        'rect',
        {
          class: ['region', `k-${it.kind}`, `layer-${it.layer}`, hits(it) && 'hit'],
          x: x0,
          y: ry,
          width: Math.max(2, x1 - x0),
          height: ROW_H - 4,
          data: { layer: it.layer, kind: it.kind, start: hex(it.start), end: hex(it.end), label: it.label, ...it.data },
        },
        s('title', { text: title }),
      );
      svg.append(rect);
      const text =
        `${it.layer === 'guest' ? (GUEST_NAMES[it.kind] ?? it.kind) : it.layer === 'overlap' ? '' : (HOST_NAMES[it.kind] ?? it.kind.replace('-', ' '))} ${size(rangeSize(it))}`.trim();
      if (x1 - x0 > text.length * 6.4 + 8)
        svg.append(s('text', { class: ['region-label', `on-${it.kind}`], x: x0 + 4, y: ry + ROW_H / 2 + 2, text }));
    }
  }

  // Callouts: where each overlap is, in words and hex, above the lanes.
  overlaps.forEach((o, i) => {
    const x0 = X(o.start);
    const mid = (x0 + X(o.end + 1n)) / 2;
    const anchor = mid > svgWidth - 260 ? 'end' : mid < LABEL_W + 200 ? 'start' : 'middle';
    const ty = 18 + (i % 2) * 18;
    svg.append(s('line', { class: 'callout-line', x1: mid, y1: ty + 4, x2: mid, y2: TOP - 8 }));
    svg.append(
      s('text', {
        class: 'callout',
        x: mid,
        y: ty,
        'text-anchor': anchor,
        text: `${o.kind === 'overlap' ? 'overlap' : 'beyond aperture'} ${rangeText(o)} (${size(rangeSize(o))})`,
      }),
    );
  });

  // The ruler: a tick and a hex label at every boundary.
  svg.append(
    s('line', { class: 'axis', x1: LABEL_W, y1: lanesBottom + 2, x2: LABEL_W + scale.width, y2: lanesBottom + 2 }),
  );
  for (const b of scale.bounds) {
    const x = X(b);
    svg.append(s('line', { class: 'tick', x1: x, y1: TOP - 4, x2: x, y2: lanesBottom + 8 }));
    svg.append(
      s('text', {
        class: 'tick-label',
        x,
        y: lanesBottom + 14,
        transform: `rotate(40 ${x} ${lanesBottom + 14})`,
        text: hex(b),
      }),
    );
  }
  svg.append(s('text', { class: 'axis-note', x: 8, y: lanesBottom + 16, text: 'address (hex) →' }));
  return svg;
}

function describe(lanes, overlaps) {
  const parts = lanes
    .filter((l) => l.id !== 'overlap')
    .map(
      (l) => `${l.title}: ${l.items.length ? l.items.map((it) => `${it.label} ${rangeText(it)}`).join('; ') : 'none'}`,
    );
  const found = overlaps.length
    ? `Overlaps: ${overlaps.map((o) => `${rangeText(o)} (${o.data.code})`).join('; ')}.`
    : 'No overlaps.';
  return `${found} ${parts.join('. ')}.`;
}
