import type { ProblemLog } from './problem-log.js';
import type { XmlNode } from './xml-node.js';

export interface GuestCpuFacts {
  cpuMode?: string;
  cpuModel?: string;
  physBits?: number;
}

/** The CPU mode and model as libvirt states them, and x86 phys-bits (the vendor: guest-vendor.ts). */
export function readGuestCpu(domain: XmlNode, arch: string | undefined, log: ProblemLog): GuestCpuFacts {
  const cpu = domain.child('cpu');
  const facts: GuestCpuFacts = {};
  const mode = cpu ? (cpu.attr('mode') ?? 'custom') : undefined;
  const model = cpu?.child('model')?.text();
  if (mode) facts.cpuMode = mode;
  if (model) facts.cpuModel = model;
  if (arch !== undefined && arch !== 'x86_64' && arch !== 'i686') return facts;
  const physBits = readPhysBits(cpu, mode, log);
  if (physBits !== undefined) facts.physBits = physBits;
  return facts;
}

/**
 * x86 phys-bits: <maxphysaddr mode='emulate' bits='42'/> pins it; passthrough mode and
 * host-passthrough CPUs take the host's (QEMU host-phys-bits), which the XML does not
 * say, so the fleet schema's default (40) would be a guess and a warning says so.
 */
function readPhysBits(cpu: XmlNode | undefined, mode: string | undefined, log: ProblemLog): number | undefined {
  const node = cpu?.child('maxphysaddr');
  if (node?.attr('mode') === 'emulate') {
    const bits = node.attr('bits');
    if (bits !== undefined && /^\d+$/.test(bits)) return Number(bits);
    log.error(node.path, `bits=${JSON.stringify(bits)} is not a number; physBits left out`);
    return undefined;
  }
  if (cpu && (node?.attr('mode') === 'passthrough' || mode === 'host-passthrough' || mode === 'maximum')) {
    log.warning(node?.path ?? cpu.path, "phys-bits is the host's; physBits left out (the fleet default is 40)");
  }
  return undefined;
}
