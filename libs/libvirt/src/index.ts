// @ferry/libvirt: a libvirt client over the official `virsh` (why not a native binding: README.md).
export { LibvirtConnection } from './connection.js';
export { LibvirtError, libvirtMessage, VIRSH } from './virsh.js';
export type { HostFacts, DomainSummary, DomainStateName } from './domains.js';
export { parseCapabilities, parseDomainStates, parseUuidNameList } from './domains.js';
export { parseJobStats, jobActive, type JobStats, type JobType, type JobOperation } from './job-stats.js';
export { parseEventChunk, type DomainEvent } from './events.js';
export { domainEvents, type StreamItem, type EventStreamOptions } from './event-stream.js';
export { migrateArguments, bandwidthMiBps, type MigrateOptions } from './migrate-options.js';
export type { MigrationProcess } from './migration-process.js';
export { deviceXml, type LibvirtDevice } from './device-xml.js';
