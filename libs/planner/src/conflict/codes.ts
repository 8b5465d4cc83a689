// The catalogue of conflict codes. Codes are a public contract (the API returns them and operators
// filter on them): add new ones, never rename. Each names the DOMAIN.md section it rests on.

export const CONFLICT_SECTIONS = {
  // Guest RAM versus the destination's IOVA constraints (rules 2, 4–8).
  RESV_OVERLAPS_GUEST_RAM: '§1.2, §1.4, §2.5, §8 rules 2, 4, 5',
  MSI_WINDOW_OVERLAPS_GUEST_RAM: '§1.3, §3, §8 rules 4, 7',
  AMD_HT_HOLE_OVERLAP: '§1.3, §2.1, §8 rule 6',
  BRIDGE_WINDOW_OVERLAPS_GUEST_RAM: '§3.4, §8 rule 8',
  GUEST_GPA_EXCEEDS_IOMMU_WIDTH: '§1.4, §2.5, §8 rules 2, 7',
  // IOMMU groups and device resolution (rules 3, 10).
  GROUP_HAS_DIRECT_REGION: '§1.2, §8 rule 3',
  GROUP_NOT_VIABLE: '§5, §8 rule 10',
  GROUP_SPLIT_ACROSS_GUESTS: '§5, §8 rule 10',
  HOST_DEVICE_NOT_FOUND: '§2.5, §5',
  NO_MATCHING_DEVICE_FOR_RESERVATION: '§2.5, §5',
  // Isolation and backends.
  NO_INTERRUPT_REMAPPING: '§1.4, §3.1',
  NO_PER_DEVICE_ISOLATION: '§0 (seeds/003), §5',
  VFIO_BACKEND_UNAVAILABLE: '§5',
  IOMMU_IGNORED_BY_HYPERVISOR: '§0 (seeds/004), §4.1',
  // POWER (rule 11).
  SPAPR_V2_FALLBACK_V1: '§0 (seeds/001), §5, §8 rule 11',
  SPAPR_WINDOW_TOO_SMALL: '§0 (seeds/003), §6, §8 rule 11',
  SPAPR_PAGESIZE_UNSUPPORTED: '§6, §8 rule 11',
  SPAPR_DMA64_ADDR_MISMATCH: '§6, §8 rule 11',
  // virtio and VIRTIO_F_ACCESS_PLATFORM (rule 12, the §4.4 matrix).
  VIRTIO_PLATFORM_ON_TRANSITIONAL: '§4.3, §4.4, §8 rule 12',
  VIRTIO_DRIVER_NO_ACCESS_PLATFORM: '§4.3, §4.4, §8 rule 12',
  VIRTIO_BYPASS_UNDER_VIOMMU: '§4.4, §8 rule 12',
  VIRTIO_PASSTHROUGH_TO_NESTED: '§0 (seeds/000), §4.4, §8 rule 12',
  VIRTIO_ACCESS_PLATFORM_REQUIRED: '§4.2, §4.4, §8 rule 12',
  VIRTIO_PHYSICAL_WITHOUT_ACCESS_PLATFORM: '§4.4',
  // vIOMMU (rule 9).
  VIOMMU_AW_BITS_EXCEED_HOST: '§1.5, §8 rule 9',
  VIOMMU_CANNOT_HOST_VFIO: '§8 rule 9',
  VIOMMU_BLOCKS_VFIO_MIGRATION: '§7.2, §8 rules 9, 13',
  // Migration compatibility (rule 13).
  VFIO_DEVICE_NOT_MIGRATABLE: '§7.2, §8 rule 13',
  POSTCOPY_WITH_VFIO: '§7.1, §7.2, §8 rule 13',
  ARCH_MISMATCH: '§7.1, §8 rule 13',
  MACHINE_TYPE_UNSUPPORTED: '§7.1, §8 rule 13',
  CPU_VENDOR_MISMATCH: '§7.1, §8 rule 13',
  INSUFFICIENT_MEMORY: '§7.1',
  PHYS_BITS_EXCEED_HOST: '§2.1, §7.1',
  HOST_NOT_SCHEDULABLE: '§7',
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
