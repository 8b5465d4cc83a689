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
    [
      'riscv64',
      'processor\t: 0\nhart\t\t: 0\nisa\t\t: rv64imafdc\nmmu\t\t: sv39\n',
      { arch: 'riscv64', cpuVendor: 'riscv' },
    ],
    [
      'loongarch64',
      'system type\t\t: generic-loongson-machine\n\nprocessor\t\t: 0\npackage\t\t\t: 0\ncpu family\t\t: Loongson-64bit\n',
      { arch: 'loongarch64', cpuVendor: 'loongson' },
    ],
    [
      'Intel with its physical address width',
      'processor\t: 0\nvendor_id\t: GenuineIntel\naddress sizes\t: 46 bits physical, 48 bits virtual\n',
      { arch: 'x86_64', cpuVendor: 'intel', physBits: 46 },
    ],
  ])('recognises %s', (_name, text, facts) => {
    expect(parseCpuinfo(text).facts).toEqual(facts);
  });

  it('leaves the architecture out and warns when it cannot tell', () => {
    const { facts, problems } = parseCpuinfo('processor\t: 0\ncpu model\t: ICT Loongson-3\nisa\t\t: mips64r2\n');
    expect(facts).toEqual({});
    expect(problems[0].severity).toBe('warning');
  });
});
