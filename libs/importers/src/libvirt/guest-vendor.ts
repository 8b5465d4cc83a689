import type { CpuVendor } from '../common/fleet-shapes.js';
import type { ProblemLog } from './problem-log.js';
import type { XmlNode } from './xml-node.js';

// The vCPU vendor of non-x86 guests follows from the architecture.
const ARCH_VENDORS: Readonly<Record<string, CpuVendor>> = {
  aarch64: 'arm',
  armv7l: 'arm',
  ppc64: 'ibm',
  ppc64le: 'ibm',
  s390x: 'ibm',
  riscv64: 'riscv',
  loongarch64: 'loongson',
};
const X86_ARCHES: ReadonlySet<string> = new Set(['x86_64', 'i686']);

// QEMU's x86 model definitions (target/i386/cpu.c builtin_x86_defs[].vendor): the vendor each model
// reports under TCG. qemu64 is AMD's and qemu32/kvm64/kvm32 Intel's, as QEMU 7.2 reports them.
const AMD_MODELS = /^(EPYC|Opteron_G|phenom|athlon|qemu64$)/i;
const INTEL_MODELS =
  /^(Skylake|Cascadelake|Cooperlake|Icelake|SapphireRapids|GraniteRapids|SierraForest|ClearwaterForest|Broadwell|Haswell|IvyBridge|SandyBridge|Westmere|Nehalem|Penryn|Conroe|Snowridge|Denverton|KnightsMill|core2duo|coreduo|n270|pentium|qemu32$|kvm64$|kvm32$|486$)/i;
const modelVendor = (model: string): CpuVendor | undefined =>
  AMD_MODELS.test(model) ? 'amd' : INTEL_MODELS.test(model) ? 'intel' : undefined;

// The 12-character CPUID vendor strings QEMU's vendor= property (libvirt <model vendor_id>) takes.
const CPUID_VENDORS: Readonly<Record<string, CpuVendor>> = { GenuineIntel: 'intel', AuthenticAMD: 'amd' };
// libvirt's <vendor> names, as in its CPU map.
const LIBVIRT_VENDORS: Readonly<Record<string, CpuVendor>> = { intel: 'intel', amd: 'amd' };
// Confidential computing exists on one vendor's CPUs only: SEV and SEV-SNP on AMD, TDX on Intel.
const CONFIDENTIAL_VENDORS: Readonly<Record<string, CpuVendor>> = { sev: 'amd', 'sev-snp': 'amd', tdx: 'intel' };

export interface GuestVendor {
  cpuVendor?: CpuVendor;
  /** The vendor is the host's (KVM and hvf report it for every model). */
  followsHost?: boolean;
}

/**
 * The vendor the guest's CPUID reports: it decides the AMD 1 TiB hole layout. QEMU takes it from an
 * explicit vendor= first; under KVM and hvf every model then reports the host's vendor
 * (x86_cpu_load_model: accel_uses_host_cpuid()); under TCG the model's own definition decides.
 */
export function readGuestVendor(domain: XmlNode, hostCpuVendor: CpuVendor | undefined, log: ProblemLog): GuestVendor {
  const osType = domain.child('os')?.child('type');
  const arch = osType?.attr('arch');
  if (arch !== undefined && !X86_ARCHES.has(arch)) {
    const vendor = ARCH_VENDORS[arch];
    if (!vendor)
      log.warning(osType!.path, `architecture "${arch}" is not one the fleet format knows; cpuVendor left out`);
    return vendor ? { cpuVendor: vendor } : {};
  }
  const decided = x86Vendor(domain, hostCpuVendor, log);
  return checkConfidential(domain, decided, log);
}

function x86Vendor(domain: XmlNode, hostCpuVendor: CpuVendor | undefined, log: ProblemLog): GuestVendor {
  const cpu = domain.child('cpu');
  const mode = cpu ? (cpu.attr('mode') ?? 'custom') : undefined;
  const modelNode = cpu?.child('model');
  const model = modelNode?.text();
  const path = cpu?.path ?? 'domain';

  const vendorId = modelNode?.attr('vendor_id');
  if (vendorId !== undefined) {
    const vendor = CPUID_VENDORS[vendorId];
    if (vendor) return { cpuVendor: vendor };
    log.warning(
      modelNode!.path,
      `vendor_id "${vendorId}" is neither GenuineIntel nor AuthenticAMD; cpuVendor left out`,
    );
    return {};
  }

  const accel = domain.attr('type');
  if (accel === 'kvm' || accel === 'hvf') {
    const what = model ? `model "${model}"` : mode && mode !== 'custom' ? `cpu mode ${mode}` : 'the default model';
    const ofModel = model ? modelVendor(model) : undefined;
    if (hostCpuVendor) {
      if (ofModel && ofModel !== hostCpuVendor)
        log.note(path, `${what} under ${accel} reports the host's vendor (${hostCpuVendor}), not ${ofModel}`);
      else if (!ofModel) log.note(path, `${what} under ${accel}: the vCPU vendor is the host's (${hostCpuVendor})`);
      return { cpuVendor: hostCpuVendor, followsHost: true };
    }
    // libvirt starts a custom model only on a host that can provide it: <vendor>, or a vendor's own model, says whose.
    const required = cpu?.child('vendor')?.text();
    const implied = (required && LIBVIRT_VENDORS[required.toLowerCase()]) || ofModel;
    if (implied) return { cpuVendor: implied, followsHost: true };
    log.warning(path, `${what} under ${accel}: the vCPU vendor is the host's; cpuVendor left out (pass hostCpuVendor)`);
    return { followsHost: true };
  }

  // TCG: QEMU's definitions decide. `max` is AMD's under TCG; no <cpu> means QEMU's default, qemu64.
  if (mode === 'host-passthrough' || mode === 'host-model') {
    log.warning(path, `cpu mode ${mode} needs a hardware accelerator; cpuVendor left out`);
    return {};
  }
  if (mode === 'maximum' && !model) return { cpuVendor: 'amd' };
  const vendor = modelVendor(model ?? 'qemu64');
  if (vendor) return { cpuVendor: vendor };
  log.warning(path, `cannot tell the vCPU vendor of model "${model}" under TCG; cpuVendor left out`);
  return {};
}

function checkConfidential(domain: XmlNode, decided: GuestVendor, log: ProblemLog): GuestVendor {
  const launch = domain.child('launchSecurity');
  const type = launch?.attr('type');
  const needed = type ? CONFIDENTIAL_VENDORS[type] : undefined;
  if (!launch || !needed) return decided;
  const name = needed === 'amd' ? 'AMD' : 'Intel';
  if (!decided.cpuVendor) {
    log.note(launch.path, `${type} runs on ${name} CPUs only: cpuVendor ${needed}`);
    return { ...decided, cpuVendor: needed };
  }
  if (decided.cpuVendor !== needed)
    log.error(
      launch.path,
      `${type} runs on ${name} CPUs only, but the vCPU vendor is ${decided.cpuVendor}: this domain cannot start as written`,
    );
  return decided;
}
