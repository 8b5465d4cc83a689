// Small pieces shared by the views: verdict badges, finding chips, evidence as a definition list.
import { h } from './dom.js';
import { rangeSize, rangeText, size } from './format.js';

/** ok / warnings / blocked, and "corruption" when any finding would corrupt silently. */
export const verdictClass = (verdict, findings = []) =>
  verdict === 'blocked' && findings.some((f) => f.severity === 'corruption') ? 'corruption' : verdict;

export const verdictBadge = (verdict, findings) =>
  h('span', { class: `badge v-${verdictClass(verdict, findings)}`, text: verdict });

export const findingChips = (findings = []) =>
  h(
    'ul',
    { class: 'chips' },
    findings.map((f) => h('li', { class: `chip s-${f.severity}`, title: f.severity, text: f.code })),
  );

const isRange = (v) => v && typeof v === 'object' && typeof v.start === 'string' && typeof v.end === 'string';

function value(v) {
  if (isRange(v)) {
    const extra = [v.type, v.kind, v.label, v.size].filter(Boolean).join(', ');
    return h('span', {}, h('code', { text: rangeText(v) }), ` (${size(rangeSize(v))}${extra ? `; ${extra}` : ''})`);
  }
  if (Array.isArray(v))
    return v.length
      ? h(
          'ul',
          { class: 'plain' },
          v.map((x) => h('li', {}, value(x))),
        )
      : 'none';
  if (v && typeof v === 'object') return evidenceList(v);
  if (typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v)) return h('code', { text: v });
  return String(v);
}

/** Evidence keys and values; ranges in hex with their size. `fact` and `section` are shown apart. */
export function evidenceList(evidence, skip = ['fact', 'section']) {
  return h(
    'dl',
    { class: 'evidence' },
    Object.entries(evidence ?? {})
      .filter(([k]) => !skip.includes(k))
      .map(([k, v]) => [h('dt', { text: k }), h('dd', {}, value(v))]),
  );
}

export const errorBox = (error) => h('p', { class: 'error', role: 'alert', text: `Could not load: ${error.message}` });
