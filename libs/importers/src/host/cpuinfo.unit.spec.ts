import { describe, expect, it } from 'vitest';
import { parseCpuinfo } from './cpuinfo.js';

describe('parseCpuinfo', () => {
  it.each([
    ['Intel', 'processor\t: 0\nvendor_id\t: GenuineIntel\n', { arch: 'x86_64', cpuVendor: 'intel' }],
    ['AMD', 'processor\t: 0\nvendor_id\t: AuthenticAMD\n', { arch: 'x86_64', cpuVendor: 'amd' }],
    ['Hygon', 'processor\t: 0\nvendor_id\t: HygonGenuine\n', { arch: 'x86_64', cpuVendor: 'amd' }],
    ['arm64', 'processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n', { arch: 'aarch64', cpuVendor: 'arm' }],
    ['s390x', 'vendor_id       : IBM/S390\n# processors    : 4\n', { arch: 's390x', cpuVendor: 'ibm' }],
    [
      'POWER9 bare metal',
      'processor\t: 0\ncpu\t\t: POWER9 (raw), altivec supported\n\nplatform\t: PowerNV\n',
      { arch: 'ppc64le', cpuVendor: 'ibm', powerPlatform: 'powernv' },
    ],
    [
      'POWER10 partition',
      'processor\t: 0\ncpu\t\t: POWER10 (architected), altivec supported\nplatform\t: pSeries\n',
      { arch: 'ppc64le', cpuVendor: 'ibm', powerPlatform: 'pseries' },
    ],
  ])('recognises %s', (_name, text, facts) => {
    expect(parseCpuinfo(text).facts).toEqual(facts);
  });

  it('leaves the architecture out and warns when it cannot tell', () => {
    const { facts, problems } = parseCpuinfo('processor\t: 0\nisa\t\t: rv64imafdc\n');
    expect(facts).toEqual({});
    expect(problems[0].severity).toBe('warning');
  });
});
