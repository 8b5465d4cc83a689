export * from './address.js';
export * from './range.js';
