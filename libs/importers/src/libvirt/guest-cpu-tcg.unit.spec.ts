import { describe, expect, it } from 'vitest';
import { importLibvirtDomain } from '../index.js';

const domain = (type: string, cpu = '') => `<domain type='${type}'>
  <name>tcg-guest</name><uuid>6f2b0c1e-0d7e-4c57-9a53-0c1b8f0e2a11</uuid>
  <memory unit='MiB'>256</memory>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>${cpu}
  <devices/>
</domain>`;

describe('vCPU vendor of generic models without KVM', () => {
  it('takes qemu64 (the default model) as AMD and kvm64 as Intel under TCG', () => {
    expect(importLibvirtDomain(domain('qemu')).value?.cpuVendor).toBe('amd');
    expect(importLibvirtDomain(domain('qemu', "<cpu mode='custom'><model>kvm64</model></cpu>")).value?.cpuVendor).toBe(
      'intel',
    );
  });

  it('still says it cannot tell for a model it does not know, and follows the host under KVM', () => {
    const unknown = importLibvirtDomain(domain('qemu', "<cpu mode='custom'><model>mystery</model></cpu>"));
    expect(unknown.value?.cpuVendor).toBeUndefined();
    expect(unknown.problems.map((p) => p.message).join()).toContain('cannot tell the vCPU vendor');
    expect(importLibvirtDomain(domain('kvm'), { hostCpuVendor: 'intel' }).value?.cpuVendor).toBe('intel');
  });
});
