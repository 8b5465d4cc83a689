export * from './background-errors.js';
