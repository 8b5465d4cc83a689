import { describe, expect, it } from 'vitest';
import { migrationCapabilities, migrationParameterArguments } from './migration-parameters.js';

const enabled = (parameters: Parameters<typeof migrationCapabilities>[0]) =>
  migrationCapabilities(parameters)
    .filter((capability) => capability.state)
    .map((capability) => capability.capability);

describe('migration parameters → migrate-set-capabilities / migrate-set-parameters', () => {
  it.each([
    { parameters: {}, capabilities: ['return-path', 'events'], args: {} },
    {
      parameters: { maxBandwidthBytesPerSec: 64 * 1024 * 1024, downtimeLimitMs: 300 },
      capabilities: ['return-path', 'events'],
      args: { 'max-bandwidth': 67108864, 'downtime-limit': 300 },
    },
    {
      parameters: { autoConverge: true, postcopy: true },
      capabilities: ['return-path', 'events', 'auto-converge', 'postcopy-ram'],
      args: {},
    },
    {
      parameters: { multifdChannels: 4 },
      capabilities: ['return-path', 'events', 'multifd'],
      args: { 'multifd-channels': 4 },
    },
    { parameters: { multifdChannels: 0 }, capabilities: ['return-path', 'events'], args: {} },
  ])('$parameters', ({ parameters, capabilities, args }) => {
    expect(enabled(parameters)).toEqual(capabilities);
    expect(migrationParameterArguments(parameters)).toEqual(args);
  });

  it('always states every capability, so a reused VM cannot keep a stale one', () => {
    expect(migrationCapabilities({}).map((c) => c.capability)).toEqual([
      'return-path',
      'events',
      'auto-converge',
      'postcopy-ram',
      'multifd',
    ]);
  });
});
