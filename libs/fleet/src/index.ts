export * from './fleet-repository.js';
export * from './fleet-commands.js';
export * from './fleet-apply.js';
export * from './views.js';
export * from './write-context.js';
export * from './agent-sync.js';
export * from './agent-commands.js';
