// The link an evacuation's migrations share, from what Ferry is told (FERRY_LINK_BANDWIDTH,
// FERRY_STREAM_BANDWIDTH) or, where it is told nothing, from its defaults. One home for the
// defaults, so the scheduler's plan, the outbound slot limit and the bench agree on them.
import { streamsToFillLink, type SharedLink } from './evacuation-scheduler.js';

/** FERRY_LINK_BANDWIDTH's default: 10 Gbit/s, in bytes/s. */
export const DEFAULT_LINK_BANDWIDTH = 1_250_000_000;

/**
 * What one QEMU migration stream pushes when nobody measured it (FERRY_STREAM_BANDWIDTH unset):
 * 4 Gbit/s. Without multifd one migration thread is CPU-bound; QEMU's multifd documentation names
 * that thread as the bottleneck from 10 Gbit/s up, and a TLS stream was measured at ~2.4 Gbit/s.
 * bench/evacuation.bench.ts emulates streams at this rate and shows what happens when it is wrong.
 */
export const DEFAULT_STREAM_BANDWIDTH = 500_000_000;

/** The outbound limit Ferry had before it derived one: never go below it (a small guest should not wait behind a big one). */
export const BASE_OUTBOUND_PER_HOST = 2;

/**
 * FERRY_MAX_OUTBOUND_PER_HOST's default: enough migrations from one host to fill its link (the
 * scheduler's rule 1), and at least BASE_OUTBOUND_PER_HOST. 10 Gbit/s with 4 Gbit/s streams: 3.
 */
export function defaultOutboundPerHost(linkBandwidth: number, streamBandwidth?: number): number {
  const link = { bandwidth: linkBandwidth, perStreamCap: streamBandwidth ?? DEFAULT_STREAM_BANDWIDTH };
  return Math.max(BASE_OUTBOUND_PER_HOST, streamsToFillLink(link));
}

export interface LinkModel {
  linkBandwidth: number;
  /** Unset: DEFAULT_STREAM_BANDWIDTH. */
  streamBandwidth?: number;
  limits: { outboundPerHost: number; fleet: number };
}

/** The link as the evacuation scheduler sees it; it never plans more at once than the slot limits allow. */
export function evacuationLink(model: LinkModel): SharedLink {
  return {
    bandwidth: model.linkBandwidth,
    perStreamCap: model.streamBandwidth ?? DEFAULT_STREAM_BANDWIDTH,
    maxConcurrent: Math.min(model.limits.outboundPerHost, model.limits.fleet),
  };
}
