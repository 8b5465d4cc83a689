export * from './memory-map.js';
