import type { CpuVendor } from '../shared/fleet-shapes.js';
import type { ProblemLog } from './problem-log.js';
import type { XmlNode } from './xml-node.js';

export interface GuestCpuFacts {
  cpuVendor?: CpuVendor;
  /** Why the vCPU vendor is the host's, when it is. */
  followsHost?: { path: string; reason: string };
  cpuMode?: string;
  cpuModel?: string;
  physBits?: number;
}

// QEMU x86 model names that belong to one vendor. A model can only run on a host of its
// vendor's CPUs, so under KVM (where QEMU advertises the host's vendor) this still holds.
const AMD_MODELS = /^(EPYC|Opteron_G|phenom|athlon)/i;
const INTEL_MODELS =
  /^(Skylake|Cascadelake|Cooperlake|Icelake|SapphireRapids|GraniteRapids|SierraForest|ClearwaterForest|Broadwell|Haswell|IvyBridge|SandyBridge|Westmere|Nehalem|Penryn|Conroe|Snowridge|Denverton|KnightsMill|core2duo|coreduo|n270|pentium)/i;

// libvirt's <vendor> names, as in its CPU map.
const EXPLICIT_VENDORS: Readonly<Record<string, CpuVendor>> = { intel: 'intel', amd: 'amd' };

// QEMU's generic x86 models and the vendor each reports when nothing overrides it (no KVM).
const TCG_MODEL_VENDORS: Readonly<Record<string, CpuVendor>> = {
  qemu64: 'amd',
  qemu32: 'intel',
  kvm64: 'intel',
  kvm32: 'intel',
};

// Modes in which QEMU gives the guest the host's CPU identity.
const HOST_MODES: ReadonlySet<string> = new Set(['host-passthrough', 'host-model', 'maximum']);

/**
 * The vCPU vendor the guest sees: it decides the AMD 1 TiB hole layout (DOMAIN.md §2.1).
 * On non-x86 architectures the vendor follows from the architecture.
 */
export function readGuestCpu(domain: XmlNode, arch: string | undefined, log: ProblemLog): GuestCpuFacts {
  const cpu = domain.child('cpu');
  const facts: GuestCpuFacts = {};
  const mode = cpu ? (cpu.attr('mode') ?? 'custom') : undefined;
  const model = cpu?.child('model')?.text();
  if (mode) facts.cpuMode = mode;
  if (model) facts.cpuModel = model;
  const archVendor = vendorOfArch(arch);
  if (archVendor) return { ...facts, cpuVendor: archVendor };

  const physBits = readPhysBits(cpu, mode, log);
  if (physBits !== undefined) facts.physBits = physBits;

  const explicit = cpu?.child('vendor');
  const explicitName = explicit?.text();
  if (explicit && explicitName) {
    const vendor = EXPLICIT_VENDORS[explicitName.toLowerCase()];
    if (vendor) return { ...facts, cpuVendor: vendor };
    log.warning(explicit.path, `vCPU vendor "${explicitName}" is not Intel or AMD; left out`);
    return facts;
  }
  if (cpu && mode && HOST_MODES.has(mode)) {
    return { ...facts, followsHost: { path: cpu.path, reason: `cpu mode ${mode}` } };
  }
  if (model && AMD_MODELS.test(model)) return { ...facts, cpuVendor: 'amd' };
  if (model && INTEL_MODELS.test(model)) return { ...facts, cpuVendor: 'intel' };

  // Generic models (qemu64, kvm64, …) and a missing <cpu>: under KVM, QEMU reports the
  // host's vendor (x86_cpu_load_model / host_cpu_instance_init). Under TCG it would not.
  if (domain.attr('type') === 'kvm') {
    const reason = model ? `generic CPU model "${model}" under KVM` : 'no CPU model under KVM';
    return { ...facts, followsHost: { path: cpu?.path ?? 'domain', reason } };
  }
  // Under TCG the model's own vendor holds. With no <cpu>, an x86 QEMU guest gets its default model,
  // qemu64, which says AuthenticAMD (target/i386/cpu.c: qemu64 .vendor = CPUID_VENDOR_AMD; kvm64 and
  // qemu32 say GenuineIntel).
  if (arch === 'x86_64' || arch === 'i686') {
    const tcgVendor = TCG_MODEL_VENDORS[(model ?? 'qemu64').toLowerCase()];
    if (tcgVendor) {
      log.note(
        cpu?.path ?? 'domain',
        `${model ? `CPU model ${model}` : 'no CPU model (qemu64)'} without KVM: vCPU vendor ${tcgVendor}`,
      );
      return { ...facts, cpuVendor: tcgVendor };
    }
  }
  log.warning(cpu?.path ?? 'domain', `cannot tell the vCPU vendor${model ? ` of model "${model}"` : ''}`);
  return facts;
}

function vendorOfArch(arch: string | undefined): CpuVendor | undefined {
  if (arch === 'aarch64' || arch === 'armv7l') return 'arm';
  if (arch === 'ppc64' || arch === 'ppc64le' || arch === 's390x') return 'ibm';
  return undefined;
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
