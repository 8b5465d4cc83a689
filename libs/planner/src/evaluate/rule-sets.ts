// Which rules run where, in the order their conflicts are reported: guest-wide facts, then the
// destination's (compatibility, host IOMMU, sizes and addresses), then each assigned device.
import type { ConflictSink } from '../conflict/sink.js';
import type { AssignmentContext, DestinationContext, GuestContext, VirtioContext } from '../rules/context.js';
import { groupHasDirectRegion } from '../rules/groups/group-has-direct-region.js';
import { groupNotViable } from '../rules/groups/group-not-viable.js';
import { groupSplitAcrossGuests } from '../rules/groups/group-split-across-guests.js';
import { iommuIgnoredByHypervisor } from '../rules/isolation/iommu-ignored-by-hypervisor.js';
import { noInterruptRemapping } from '../rules/isolation/no-interrupt-remapping.js';
import { noPerDeviceIsolation, vfioBackendUnavailable } from '../rules/isolation/vfio-backend.js';
import { amdHtHoleOverlap } from '../rules/memory/amd-ht-hole-overlap.js';
import { bridgeWindowOverlapsGuestRam } from '../rules/memory/bridge-window-overlaps-guest-ram.js';
import { guestGpaExceedsIommuWidth } from '../rules/memory/guest-gpa-exceeds-iommu-width.js';
import { msiWindowOverlapsGuestRam } from '../rules/memory/msi-window-overlaps-guest-ram.js';
import { resvOverlapsGuestRam } from '../rules/memory/resv-overlaps-guest-ram.js';
import {
  archMismatch,
  cpuVendorMismatch,
  hostNotSchedulable,
  insufficientMemory,
  machineTypeUnsupported,
} from '../rules/migration/compatibility.js';
import { physBitsExceedHost } from '../rules/migration/phys-bits-exceed-host.js';
import { postcopyWithVfio } from '../rules/migration/postcopy-with-vfio.js';
import {
  destinationDeviceNotMigratable,
  sourceDeviceNotMigratable,
} from '../rules/migration/vfio-device-not-migratable.js';
import { spaprDma64AddrMismatch } from '../rules/spapr/spapr-dma64-addr-mismatch.js';
import { spaprPagesizeUnsupported } from '../rules/spapr/spapr-pagesize-unsupported.js';
import { spaprV2FallbackV1 } from '../rules/spapr/spapr-v2-fallback-v1.js';
import { spaprWindowTooSmall } from '../rules/spapr/spapr-window-too-small.js';
import { viommuAwBitsExceedHost } from '../rules/viommu/viommu-aw-bits-exceed-host.js';
import { viommuBlocksVfioMigration } from '../rules/viommu/viommu-blocks-vfio-migration.js';
import { viommuCannotHostVfio } from '../rules/viommu/viommu-cannot-host-vfio.js';
import { virtioAccessPlatformRequired } from '../rules/virtio/virtio-access-platform-required.js';
import { virtioBypassUnderViommu } from '../rules/virtio/virtio-bypass-under-viommu.js';
import { virtioDriverNoAccessPlatform } from '../rules/virtio/virtio-driver-no-access-platform.js';
import { virtioPassthroughToNested } from '../rules/virtio/virtio-passthrough-to-nested.js';
import { virtioPhysicalWithoutAccessPlatform } from '../rules/virtio/virtio-physical-without-access-platform.js';
import { virtioPlatformOnTransitional } from '../rules/virtio/virtio-platform-on-transitional.js';

// Rules are called by name, not looped over from an array: each call site then sees one function,
// which V8 can inline — it matters on the fleet matrix's ten million cells.

/** Per emulated virtio device: the docs/domain.md#virtio-matrix table. Host-independent. */
export function runVirtioRules(context: VirtioContext, sink: ConflictSink): void {
  virtioPlatformOnTransitional(context, sink);
  virtioDriverNoAccessPlatform(context, sink);
  virtioAccessPlatformRequired(context, sink);
  virtioBypassUnderViommu(context, sink);
  virtioPassthroughToNested(context, sink);
}

/** Guest-wide facts (and the migration source): the same for every destination. */
export function runGuestRules(context: GuestContext, sink: ConflictSink): void {
  viommuCannotHostVfio(context, sink);
  viommuBlocksVfioMigration(context, sink);
  postcopyWithVfio(context, sink);
  sourceDeviceNotMigratable(context, sink);
}

// A destination's rules come in two groups. "Profile" rules read only discrete guest facts (machine,
// vCPU vendor, vIOMMU, whether RAM is identity-mapped, whether it reaches the AMD HT hole, what devices
// it asks for). "Measured" rules read sizes and addresses. The fleet matrix evaluates both once per
// guest class and host class (matrix/class-table.ts); only free memory and cordon are checked per cell.

/** Device rules apply only when something is assigned, and only on the guest's own architecture. */
export const hostIommuApplies = (context: DestinationContext) =>
  context.assigns && context.guest.arch === context.host.arch;

export function runProfileRules(context: DestinationContext, sink: ConflictSink): void {
  // Can the destination take this guest at all (docs/domain.md#migration-compatibility)?
  hostNotSchedulable(context, sink);
  archMismatch(context, sink);
  machineTypeUnsupported(context, sink);
  cpuVendorMismatch(context, sink);
  // On another architecture the guest can never run, so its GPA map means nothing to that host's IOMMU.
  if (!hostIommuApplies(context)) return;
  vfioBackendUnavailable(context, sink);
  noPerDeviceIsolation(context, sink);
  noInterruptRemapping(context, sink);
  amdHtHoleOverlap(context, sink);
  viommuAwBitsExceedHost(context, sink);
  spaprV2FallbackV1(context, sink);
  spaprPagesizeUnsupported(context, sink);
  spaprDma64AddrMismatch(context, sink);
}

export function runMeasuredRules(context: DestinationContext, sink: ConflictSink): void {
  insufficientMemory(context, sink);
  physBitsExceedHost(context, sink);
  if (!hostIommuApplies(context)) return;
  guestGpaExceedsIommuWidth(context, sink);
  bridgeWindowOverlapsGuestRam(context, sink);
  spaprWindowTooSmall(context, sink);
}

/** Host IOMMU facts for a hot-plug on the guest's own host (no compatibility question there). */
export function runHostAssignmentRules(context: DestinationContext, sink: ConflictSink): void {
  vfioBackendUnavailable(context, sink);
  noPerDeviceIsolation(context, sink);
  noInterruptRemapping(context, sink);
  guestGpaExceedsIommuWidth(context, sink);
  amdHtHoleOverlap(context, sink);
  bridgeWindowOverlapsGuestRam(context, sink);
  viommuAwBitsExceedHost(context, sink);
  spaprV2FallbackV1(context, sink);
  spaprWindowTooSmall(context, sink);
  spaprPagesizeUnsupported(context, sink);
  spaprDma64AddrMismatch(context, sink);
}

/** Per assigned device and its IOMMU group. */
export function runDeviceRules(context: AssignmentContext, sink: ConflictSink): void {
  groupHasDirectRegion(context, sink);
  groupNotViable(context, sink);
  groupSplitAcrossGuests(context, sink);
  iommuIgnoredByHypervisor(context, sink);
  virtioPhysicalWithoutAccessPlatform(context, sink);
  resvOverlapsGuestRam(context, sink);
  msiWindowOverlapsGuestRam(context, sink);
  destinationDeviceNotMigratable(context, sink);
}
