// @ferry/importers: turn what a host or a hypervisor already says about itself into
// fleet-file objects (docs/fleet-format.md, validated by @ferry/domain's schemas). Pure: no
// API, no database; a caller writes the value as YAML/JSON and decides what to do with
// the problems.
export { importHostFacts, type ImportHostFactsOptions } from './host/import-host-facts.js';
export { parseReservedRegions, type LineProblem } from './host/reserved-regions.js';
export { parseBridgeWindows } from './host/proc-iomem.js';
export { importLibvirtDomain, type ImportLibvirtDomainOptions } from './libvirt/import-libvirt-domain.js';
export type { ImportProblem, ImportResult, ProblemSeverity } from './common/problems.js';
export type {
  GuestDetails,
  GuestDraft,
  HostDetails,
  HostDraft,
  MemoryDeviceDetails,
  VirtioTransport,
} from './common/fleet-shapes.js';
