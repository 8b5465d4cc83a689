// docs/domain.md#amd-ht-hole: AMD-Vi reserves 0xFD00000000–0xFFFFFFFFFF (HyperTransport) on every group.
import { AMD_HT_HOLE, formatRange, intersection, machineAtLeast } from '@ferry/domain';
import { hexRange } from '../../conflict/conflict.js';
import type { ConflictSink } from '../../conflict/sink.js';
import type { DestinationContext } from '../context.js';
import { describeGuestRange, guestRangeJson, overlapConsequence, overlapSeverity } from './ram-overlap.js';

// The recorded GPA map already says whether QEMU moved above-4G RAM to 1 TiB (machine ≥ 7.1 with an AMD
// vCPU, enforce_amd_1tb_hole), so the rule reads the map rather than re-deriving the layout.
export function amdHtHoleOverlap(context: DestinationContext, sink: ConflictSink): void {
  const { guest, host } = context;
  if (!context.assigns || !guest.identityMapped || !host.isAmd || guest.mapEntriesInHtHole.length === 0) return;
  const definition = guest.state.definition;
  const relocates = machineAtLeast(guest.machine, 7, 1) && definition.cpuVendor === 'amd';
  const evidenceFor = (range: (typeof guest.mapEntriesInHtHole)[number]) => ({
    hostId: host.id,
    hole: hexRange(AMD_HT_HOLE),
    guestRange: guestRangeJson(range),
    overlap: hexRange(intersection(range, AMD_HT_HOLE)!),
    machine: definition.machine,
    vcpuVendor: definition.cpuVendor,
    qemuRelocatesRam: relocates,
    kernel: host.host.kernel,
  });
  const remedy =
    'Redefine the guest with a machine type ≥ 7.1 and an AMD vCPU model (QEMU then moves above-4G RAM to 1 TiB), or keep its RAM and device memory below 0xfd00000000, or keep it off AMD hosts.';
  const fact =
    'AMD-Vi reports the HyperTransport range 0xfd00000000–0xffffffffff as reserved on every group; only machine types ≥ 7.1 with an AMD vCPU lay guest RAM out around it.';

  let mapped = false;
  for (const range of guest.mapEntriesInHtHole) {
    if (range.kind !== 'ram' && range.kind !== 'device-memory') continue;
    mapped = true;
    sink.report('AMD_HT_HOLE_OVERLAP', overlapSeverity(host), () => ({
      message: `The ${describeGuestRange(range)} reaches into the AMD HyperTransport hole ${formatRange(AMD_HT_HOLE)} on ${host.id}; ${overlapConsequence(host, range)}.`,
      evidence: evidenceFor(range),
      fact,
      remedy,
    }));
    if (!sink.detailed) return;
  }
  if (mapped) return;
  // Only PCI holes or MMIO reach the hole: nothing is DMA-mapped there, but BARs placed there cannot be P2P targets.
  const range = guest.mapEntriesInHtHole[0]!;
  sink.report('AMD_HT_HOLE_OVERLAP', 'warning', () => ({
    message: `The guest's ${range.kind} ${formatRange(range)}${range.label ? ` ('${range.label}')` : ''} reaches into the AMD HyperTransport hole on ${host.id}: guest RAM is clear, but peer-to-peer DMA to BARs placed there will fail.`,
    evidence: evidenceFor(range),
    fact,
    remedy,
  }));
}
