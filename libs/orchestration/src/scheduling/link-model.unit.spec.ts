import { describe, expect, it } from 'vitest';
import { DEFAULT_STREAM_BANDWIDTH, defaultOutboundPerHost, evacuationLink } from './link-model.js';
import { scheduleEvacuation } from './evacuation-plan.js';
import { streamsToFillLink } from './evacuation-scheduler.js';

const GiB = 1024 ** 3;
const idleGuests = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `g-${i}`, ramBytes: 8 * GiB, dirtyBytesPerSecond: 0 }));

describe('the evacuation link model', () => {
  it('plans as many streams at once as the derived outbound limit allows, and no more', () => {
    for (const [bandwidth, stream] of [
      [1.25e9, 5e8],
      [1.25e9, 1.25e9],
      [5e9, 5e8],
      [1.25e9, 3e8],
    ] as const) {
      const outbound = Math.max(2, streamsToFillLink({ bandwidth, perStreamCap: stream }));
      const link = evacuationLink({
        linkBandwidth: bandwidth,
        streamBandwidth: stream,
        limits: { outboundPerHost: 99, fleet: 99 },
      });
      expect(scheduleEvacuation(idleGuests(20), link).maxConcurrent).toBe(streamsToFillLink(link));
      expect(defaultOutboundPerHost(bandwidth, stream)).toBe(outbound);
    }
  });

  it('assumes the default stream rate when none is configured: three streams on 10 Gbit/s', () => {
    const link = evacuationLink({ linkBandwidth: 1.25e9, limits: { outboundPerHost: 3, fleet: 5 } });
    expect(link.perStreamCap).toBe(DEFAULT_STREAM_BANDWIDTH);
    expect(scheduleEvacuation(idleGuests(10), link).maxConcurrent).toBe(3);
  });

  it('never plans beyond a configured outbound or fleet limit', () => {
    const byOutbound = evacuationLink({ linkBandwidth: 1.25e9, limits: { outboundPerHost: 2, fleet: 5 } });
    expect(scheduleEvacuation(idleGuests(10), byOutbound).maxConcurrent).toBe(2);
    const byFleet = evacuationLink({ linkBandwidth: 1.25e9, limits: { outboundPerHost: 4, fleet: 1 } });
    expect(scheduleEvacuation(idleGuests(10), byFleet).maxConcurrent).toBe(1);
  });
});
