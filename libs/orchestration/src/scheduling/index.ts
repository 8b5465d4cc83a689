export * from './link-share.js';
export * from './evacuation-scheduler.js';
export * from './evacuation-plan.js';
export * from './shared-link-simulator.js';
export * from './link-model.js';
