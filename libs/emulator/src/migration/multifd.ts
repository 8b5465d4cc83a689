// What multifd changes on the wire and in time (QEMU 7.2, migration/multifd.c and ram.c):
//  - Normal pages leave through the channels in packets of 128 pages (MULTIFD_PACKET_SIZE,
//    512 KiB). A packet carries a 320-byte MultiFDPacket_t header (magic, version, flags, page
//    counts, packet number, 32 reserved bytes, the 256-byte RAMBlock name) and an 8-byte offset
//    for each of its 128 page slots, so a full packet costs 1 344 bytes over its pages, 10.5
//    bytes a page instead of the main stream's 8-byte page header. Zero pages are still found
//    and sent as 9-byte records on the main stream (save_zero_page runs before multifd in 7.2's
//    ram_save_target_page).
//  - ram_save_iterate ends every call with multifd_send_sync_main: each channel sends a header-
//    only SYNC packet (packet_len, 1 344 bytes, counted in ram "transferred") and the migration
//    thread waits until every channel has drained its queue (at most one packet each).
//  - Throughput: each channel is one thread with one socket, so channels × per-channel ceiling
//    (and the link) bound it; the rate limit (max-bandwidth) still counts every packet.
import { PAGE_SIZE } from '../units.js';

export const MULTIFD_PAGES_PER_PACKET = 128;
/** sizeof(MultiFDPacket_t) + 8 bytes per page slot: 4×6 + 8 + 32 + 256 + 8 × 128. */
export const MULTIFD_PACKET_HEADER_BYTES = 320 + 8 * MULTIFD_PAGES_PER_PACKET;
/** A normal page sent through a channel, its share of the packet header included. */
export const MULTIFD_NORMAL_PAGE_WIRE_BYTES = PAGE_SIZE + MULTIFD_PACKET_HEADER_BYTES / MULTIFD_PAGES_PER_PACKET;

/** Bytes of the SYNC packets that end one ram_save_iterate (or the final stage) with `channels` channels. */
export function multifdSyncBytes(channels: number): number {
  return channels * MULTIFD_PACKET_HEADER_BYTES;
}

/**
 * The throughput lost while multifd_send_sync_main waits for the channels to drain, as ms of
 * the whole stream standing still. When the channels are the bottleneck each holds one packet
 * in flight; packets went out round-robin, so what is left of them is spread evenly between 0
 * and one packet's send time, and the channels that finish first idle until the last one does:
 * on average half a packet's time at the per-channel ceiling. 0 when the channels are not the
 * bottleneck (no per-channel ceiling given).
 */
export function multifdSyncWaitMs(perChannelBytesPerSecond: number | undefined): number {
  if (perChannelBytesPerSecond === undefined) return 0;
  return ((MULTIFD_PAGES_PER_PACKET * MULTIFD_NORMAL_PAGE_WIRE_BYTES) / perChannelBytesPerSecond / 2) * 1000;
}
