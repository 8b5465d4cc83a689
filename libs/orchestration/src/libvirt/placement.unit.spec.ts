import { describe, expect, it } from 'vitest';
import { placementOf } from './placement.js';

describe('where libvirt has the domain', () => {
  it.each([
    ['running', null, 'source'],
    [null, 'running', 'destination'],
    ['shutoff', 'running', 'destination'],
    // After switch-over and before the source is cleaned up: the destination runs it.
    ['paused', 'running', 'destination'],
    // Mid-migration the destination's incoming copy is paused: still the source's.
    ['running', 'paused', 'source'],
    ['running', 'running', 'both'],
    [null, null, 'neither'],
    ['shutoff', 'shutoff', 'neither'],
    ['paused', null, 'source'],
  ] as const)('source %s, destination %s → %s', (source, destination, expected) => {
    expect(placementOf(source, destination)).toBe(expected);
  });
});
