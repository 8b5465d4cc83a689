export * from './migration/convergence-policy.js';
export * from './migration/migration-events.js';
export * from './migration/migration-decider.js';
export * from './hotplug/hotplug-events.js';
export * from './migration/migration-repository.js';
export * from './migration/emulator-spec.js';
export * from './migration/migration-executor.js';
