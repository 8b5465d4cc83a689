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
  if (arch === 'aarch64') {
    const physBits = readArmPaBits(domain, cpu, mode, model, log);
    if (physBits !== undefined) facts.physBits = physBits;
    return facts;
  }
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

// arm_pamax() of QEMU 7.2's models (ID_AA64MMFR0.PARange): under TCG hw/arm/virt.c sizes the high IO
// area against it. Checked with -m 1023G: cortex-a35/a53/a76 and a64fx lose the high ECAM (40 bits).
const ARM_PA_BITS: Readonly<Record<string, number>> = {
  'cortex-a35': 40,
  'cortex-a53': 40,
  'cortex-a76': 40,
  a64fx: 40,
  'cortex-a57': 44,
  'cortex-a72': 44,
  'neoverse-n1': 48,
  max: 52,
};

/**
 * aarch64 `virt` phys-bits is the PA range: the vCPU model's under TCG; under KVM the host's IPA
 * limit (virt_kvm_type, kvm_arm_get_max_vm_ipa_size), which the XML does not say.
 */
function readArmPaBits(
  domain: XmlNode,
  cpu: XmlNode | undefined,
  mode: string | undefined,
  model: string | undefined,
  log: ProblemLog,
): number | undefined {
  const path = cpu?.path ?? 'domain';
  if (domain.attr('type') !== 'qemu') {
    log.warning(
      path,
      "the virt layout is sized against the host's IPA limit under KVM; physBits left out (the fleet default is 40)",
    );
    return undefined;
  }
  const name = model ?? (mode === 'maximum' ? 'max' : undefined);
  const bits = name ? ARM_PA_BITS[name] : undefined;
  if (bits === undefined)
    log.warning(
      path,
      `PA range of CPU model "${name ?? '(default)'}" unknown; physBits left out (the fleet default is 40)`,
    );
  return bits;
}
