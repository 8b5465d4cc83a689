export { LibvirtBackend, LibvirtTargetError, type JobWhereabouts } from './libvirt-backend.js';
export { libvirtKnobsFor, type LibvirtKnobs } from './libvirt-knobs.js';
export { LibvirtMigration, type LibvirtMigrationResult, type LibvirtMigrationTarget } from './libvirt-migration.js';
export { placementOf, type Placement, type DomainWhereabouts } from './placement.js';
export { migrationInfoOf, iterationReportOf } from './job-progress.js';
export { attachThroughLibvirt, libvirtDeviceOf, type LibvirtHotplugOutcome } from './libvirt-hotplug.js';
