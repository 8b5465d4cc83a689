import { describe, expect, it } from 'vitest';
import { effectivePolicy } from '../migration/convergence-policy.js';
import { libvirtKnobsFor } from './libvirt-knobs.js';

describe("the convergence policy in libvirt's knobs", () => {
  it('maps bandwidth, downtime, auto-converge, post-copy and parallel connections', () => {
    const policy = effectivePolicy(undefined, {
      maxBandwidth: '8MiB',
      downtimeLimitMs: 500,
      autoConverge: true,
      onTimeout: 'postcopy',
      multifdChannels: 1,
    });
    expect(libvirtKnobsFor(policy, { hasVfio: false })).toEqual({
      options: { maxBandwidth: 8 * 2 ** 20, autoConverge: true, postcopy: true, parallelConnections: 1 },
      downtimeLimitMs: 500,
      notes: [],
    });
  });

  it('never enables post-copy for a guest with a VFIO device, and says so', () => {
    const knobs = libvirtKnobsFor(effectivePolicy(undefined, { onTimeout: 'postcopy' }), { hasVfio: true });
    expect(knobs.options.postcopy).toBe(false);
    expect(knobs.notes).toEqual(['post-copy not enabled: the guest has a VFIO device']);
  });

  it('keeps parallel connections without post-copy, drops them with it (QEMU 7.2 cannot combine them)', () => {
    expect(
      libvirtKnobsFor(effectivePolicy(undefined, { multifdChannels: 4 }), { hasVfio: false }).options,
    ).toMatchObject({ parallelConnections: 4, postcopy: false });
    const both = libvirtKnobsFor(effectivePolicy(undefined, { multifdChannels: 4, onTimeout: 'postcopy' }), {
      hasVfio: false,
    });
    expect(both.options).toMatchObject({ parallelConnections: 1, postcopy: true });
    expect(both.notes[0]).toMatch(/parallel connections \(4\) off/);
  });

  it('leaves the bandwidth to libvirt when the policy sets none', () => {
    expect(libvirtKnobsFor(effectivePolicy(undefined, {}), { hasVfio: false }).options).not.toHaveProperty(
      'maxBandwidth',
    );
  });
});
