// The catalogue of conflict codes. Codes are a public contract (the API returns them and operators
// filter on them): add new ones, never rename. Each points at its row in docs/domain.md's rule index.

export const CONFLICT_SECTIONS = {
  // Guest RAM versus the destination's IOVA constraints (docs/domain.md#migrate-then-hotplug).
  RESV_OVERLAPS_GUEST_RAM: 'docs/domain.md#rule-resv-overlaps-guest-ram',
  MSI_WINDOW_OVERLAPS_GUEST_RAM: 'docs/domain.md#rule-msi-window-overlaps-guest-ram',
  AMD_HT_HOLE_OVERLAP: 'docs/domain.md#rule-amd-ht-hole-overlap',
  BRIDGE_WINDOW_OVERLAPS_GUEST_RAM: 'docs/domain.md#rule-bridge-window-overlaps-guest-ram',
  GUEST_GPA_EXCEEDS_IOMMU_WIDTH: 'docs/domain.md#rule-guest-gpa-exceeds-iommu-width',
  // IOMMU groups and device resolution (docs/domain.md#iommu-groups).
  GROUP_HAS_DIRECT_REGION: 'docs/domain.md#rule-group-has-direct-region',
  GROUP_NOT_VIABLE: 'docs/domain.md#rule-group-not-viable',
  GROUP_SPLIT_ACROSS_GUESTS: 'docs/domain.md#rule-group-split-across-guests',
  HOST_DEVICE_NOT_FOUND: 'docs/domain.md#rule-host-device-not-found',
  NO_MATCHING_DEVICE_FOR_RESERVATION: 'docs/domain.md#rule-no-matching-device-for-reservation',
  // Isolation and backends.
  NO_INTERRUPT_REMAPPING: 'docs/domain.md#rule-no-interrupt-remapping',
  NO_PER_DEVICE_ISOLATION: 'docs/domain.md#rule-no-per-device-isolation',
  VFIO_BACKEND_UNAVAILABLE: 'docs/domain.md#rule-vfio-backend-unavailable',
  IOMMU_IGNORED_BY_HYPERVISOR: 'docs/domain.md#rule-iommu-ignored-by-hypervisor',
  // POWER (docs/domain.md#spapr-windows).
  SPAPR_V2_FALLBACK_V1: 'docs/domain.md#rule-spapr-v2-fallback-v1',
  SPAPR_WINDOW_TOO_SMALL: 'docs/domain.md#rule-spapr-window-too-small',
  SPAPR_PAGESIZE_UNSUPPORTED: 'docs/domain.md#rule-spapr-pagesize-unsupported',
  SPAPR_DMA64_ADDR_MISMATCH: 'docs/domain.md#rule-spapr-dma64-addr-mismatch',
  // virtio and VIRTIO_F_ACCESS_PLATFORM (docs/domain.md#virtio-matrix).
  VIRTIO_PLATFORM_ON_TRANSITIONAL: 'docs/domain.md#rule-virtio-platform-on-transitional',
  VIRTIO_DRIVER_NO_ACCESS_PLATFORM: 'docs/domain.md#rule-virtio-driver-no-access-platform',
  VIRTIO_BYPASS_UNDER_VIOMMU: 'docs/domain.md#rule-virtio-bypass-under-viommu',
  VIRTIO_PASSTHROUGH_TO_NESTED: 'docs/domain.md#rule-virtio-passthrough-to-nested',
  VIRTIO_ACCESS_PLATFORM_REQUIRED: 'docs/domain.md#rule-virtio-access-platform-required',
  VIRTIO_PHYSICAL_WITHOUT_ACCESS_PLATFORM: 'docs/domain.md#rule-virtio-physical-without-access-platform',
  // vIOMMU (docs/domain.md#viommu-host-checks).
  VIOMMU_AW_BITS_EXCEED_HOST: 'docs/domain.md#rule-viommu-aw-bits-exceed-host',
  VIOMMU_CANNOT_HOST_VFIO: 'docs/domain.md#rule-viommu-cannot-host-vfio',
  VIOMMU_BLOCKS_VFIO_MIGRATION: 'docs/domain.md#rule-viommu-blocks-vfio-migration',
  // Migration compatibility (docs/domain.md#migration-compatibility).
  VFIO_DEVICE_NOT_MIGRATABLE: 'docs/domain.md#rule-vfio-device-not-migratable',
  POSTCOPY_WITH_VFIO: 'docs/domain.md#rule-postcopy-with-vfio',
  ARCH_MISMATCH: 'docs/domain.md#rule-arch-mismatch',
  MACHINE_TYPE_UNSUPPORTED: 'docs/domain.md#rule-machine-type-unsupported',
  CPU_VENDOR_MISMATCH: 'docs/domain.md#rule-cpu-vendor-mismatch',
  INSUFFICIENT_MEMORY: 'docs/domain.md#rule-insufficient-memory',
  PHYS_BITS_EXCEED_HOST: 'docs/domain.md#rule-phys-bits-exceed-host',
  HOST_NOT_SCHEDULABLE: 'docs/domain.md#rule-host-not-schedulable',
} as const;

export type ConflictCode = keyof typeof CONFLICT_SECTIONS;

export const CONFLICT_CODES = Object.keys(CONFLICT_SECTIONS) as ConflictCode[];

/** Dense indices for compact storage (the fleet matrix stores code sets, not conflicts). */
export const CODE_INDEX: ReadonlyMap<ConflictCode, number> = new Map(
  CONFLICT_CODES.map((code, index) => [code, index]),
);

export function isConflictCode(value: string): value is ConflictCode {
  return CODE_INDEX.has(value as ConflictCode);
}
