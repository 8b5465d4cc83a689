import type { Arch, CpuVendor } from '../common/fleet-shapes.js';
import type { LineProblem } from './reserved-regions.js';

export interface CpuFacts {
  arch?: Arch;
  cpuVendor?: CpuVendor;
  /** POWER only: "PowerNV" (bare metal, OPAL) or "pSeries" (a partition). */
  powerPlatform?: 'powernv' | 'pseries';
  /** x86 "address sizes : 46 bits physical": the CPUs' MAXPHYADDR, what a guest's phys-bits may reach. */
  physBits?: number;
}

/** First value of each "key : value" field; every architecture prints its own keys. */
function fields(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    if (key !== '' && !result.has(key)) result.set(key, line.slice(colon + 1).trim());
  }
  return result;
}

/**
 * Architecture and CPU vendor from /proc/cpuinfo. x86 and s390 print `vendor_id`,
 * arm64 prints `CPU implementer`, POWER prints `cpu : POWERn` and `platform`.
 */
export function parseCpuinfo(text: string): { facts: CpuFacts; problems: LineProblem[] } {
  const cpu = fields(text);
  const problems: LineProblem[] = [];
  const vendorId = cpu.get('vendor_id');
  const physical = /^(\d+) bits physical/.exec(cpu.get('address sizes') ?? '');
  const x86 = (cpuVendor: CpuVendor): CpuFacts => ({
    arch: 'x86_64',
    cpuVendor,
    ...(physical && { physBits: Number(physical[1]) }),
  });

  if (vendorId === 'GenuineIntel') return { facts: x86('intel'), problems };
  if (vendorId === 'AuthenticAMD') return { facts: x86('amd'), problems };
  if (vendorId === 'HygonGenuine') {
    // Hygon Dhyana is an AMD Zen licensee with an AMD-Vi IOMMU and the same HyperTransport hole.
    problems.push({ severity: 'note', message: 'HygonGenuine CPU recorded as cpuVendor amd' });
    return { facts: x86('amd'), problems };
  }
  // RISC-V prints the hart's ISA string; LoongArch its CPU family.
  if (/^rv64/.test(cpu.get('isa') ?? '')) return { facts: { arch: 'riscv64', cpuVendor: 'riscv' }, problems };
  if (/^Loongson-64bit/.test(cpu.get('cpu family') ?? ''))
    return { facts: { arch: 'loongarch64', cpuVendor: 'loongson' }, problems };
  if (vendorId?.startsWith('IBM/S390')) return { facts: { arch: 's390x', cpuVendor: 'ibm' }, problems };
  if (cpu.has('CPU implementer')) return { facts: { arch: 'aarch64', cpuVendor: 'arm' }, problems };

  const powerCpu = cpu.get('cpu');
  if (powerCpu?.startsWith('POWER')) {
    const platform = cpu.get('platform')?.toLowerCase();
    const facts: CpuFacts = { arch: 'ppc64le', cpuVendor: 'ibm' };
    if (platform === 'powernv' || platform === 'pseries') facts.powerPlatform = platform;
    else problems.push({ severity: 'warning', message: `unknown POWER platform "${cpu.get('platform') ?? ''}"` });
    // cpuinfo looks the same on big- and little-endian kernels; Ferry only models ppc64le hosts.
    problems.push({ severity: 'note', message: 'POWER host assumed little-endian (ppc64le)' });
    return { facts, problems };
  }

  problems.push({
    severity: 'warning',
    message: vendorId ? `unknown CPU vendor_id "${vendorId}"` : 'cannot tell the architecture from /proc/cpuinfo',
  });
  return { facts: {}, problems };
}
