// The newest events of the whole log, kept current by the live stream.
import { api, lastPosition } from './api.js';
import { h, route } from './dom.js';
import { time } from './format.js';
import { eventSummary } from './guest.js';

const KEEP = 25;

export function createRecent(list) {
  let events = [];
  let frame = 0;

  function draw() {
    frame = 0;
    list.replaceChildren(
      ...events.map((e) => {
        const guest = e.streamId.startsWith('guest-') ? e.streamId.slice(6) : undefined;
        return h(
          'li',
          { data: { position: e.position, type: e.type } },
          h('span', { class: 'pos', text: `#${e.position}` }),
          ' ',
          h('time', { datetime: e.recordedAt, text: time(e.recordedAt).slice(11) }),
          ' ',
          h('strong', { text: e.type }),
          ' ',
          guest ? h('a', { href: route('guest', guest), text: e.streamId }) : h('span', { text: e.streamId }),
          ' ',
          h('span', { class: 'muted', text: eventSummary(e) }),
        );
      }),
    );
  }

  return {
    async load() {
      try {
        const last = await lastPosition();
        const page = await api.events(Math.max(0, last - KEEP), KEEP);
        events = page.events.reverse();
        draw();
      } catch (error) {
        list.replaceChildren(h('li', { class: 'error', text: `Could not load events: ${error.message}` }));
      }
    },
    /** Newest first; redrawn at most once a frame however fast events arrive. */
    add(event) {
      if (events.some((e) => e.position === event.position)) return;
      events.push(event);
      events.sort((a, b) => b.position - a.position);
      events.length = Math.min(events.length, KEEP);
      if (!frame) frame = requestAnimationFrame(draw);
    },
  };
}
