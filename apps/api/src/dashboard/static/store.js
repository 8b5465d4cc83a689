// Shared, refreshable caches of the fleet lists the views need. A fleet change marks them stale; stale
// data stays on screen until the fresh answer arrives, so live updates never blank the page.
import { allHosts, api } from './api.js';

// /v1/guests costs about the same for 1 or 1000 guests (the API builds every view, then slices), so
// rows come a thousand at a time.
export const GUEST_PAGE = 1000;

export function createStore() {
  let generation = 0;
  let hosts; // { gen, promise }
  const pages = new Map(); // page index → { gen, items, total } once loaded
  const loading = new Map(); // page index → { gen, promise } on its way
  let guestTotal;

  const store = {
    get generation() {
      return generation;
    },

    /** Marks everything stale (the fleet changed). */
    invalidate() {
      generation++;
    },

    /** Every host, sorted by id (the matrix's column order). */
    hosts() {
      if (!hosts || hosts.gen !== generation) {
        const previous = hosts;
        const promise = allHosts();
        hosts = { gen: generation, promise };
        // A failed refresh falls back to what was there.
        promise.catch(() => {
          if (hosts?.promise === promise) hosts = previous;
        });
      }
      return hosts.promise;
    },

    /** Number of guests, once any page has been read. */
    get guestTotal() {
      return guestTotal;
    },

    /** Loads page `index` ({id, host} only) unless it is loaded and fresh; resolves with it. */
    guestPage(index) {
      const have = pages.get(index);
      if (have && have.gen === generation) return Promise.resolve(have);
      const gen = generation;
      const running = loading.get(index);
      if (running?.gen === gen) return running.promise; // already on its way: share it
      const promise = api.guests({ offset: index * GUEST_PAGE, limit: GUEST_PAGE }).then((page) => {
        const entry = { gen, items: page.items.map((g) => ({ id: g.id, host: g.host })), total: page.total };
        guestTotal = page.total;
        if (!pages.has(index) || pages.get(index).gen <= gen) pages.set(index, entry);
        return entry;
      });
      loading.set(index, { gen, promise });
      const done = () => {
        if (loading.get(index)?.promise === promise) loading.delete(index);
      };
      promise.then(done, done);
      return promise;
    },

    /** The guest in row i if its page is in memory (possibly stale); undefined otherwise. */
    guestAt(i) {
      return pages.get(Math.floor(i / GUEST_PAGE))?.items[i % GUEST_PAGE];
    },

    pageIsFresh(index) {
      return pages.get(index)?.gen === generation;
    },
  };
  return store;
}
