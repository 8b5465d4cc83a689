import { parseMachineType } from '@ferry/domain';
import type { Confidential, CpuVendor, GuestDetails, GuestDraft, Unrecognised } from '../common/fleet-shapes.js';
import type { ImportResult } from '../common/problems.js';
import { DeviceIds, normalise } from './device-ids.js';
import { readGuestCpu } from './guest-cpu.js';
import { readHostdevs } from './guest-hostdevs.js';
import { readGuestMemory } from './guest-memory.js';
import { readViommu } from './guest-viommu.js';
import { PciPlacement } from './pci-placement.js';
import { ProblemLog } from './problem-log.js';
import { readVirtioDevices } from './virtio-devices.js';
import { XmlNode } from './xml-node.js';

export interface ImportLibvirtDomainOptions {
  /** The fleet id of the host the domain runs on now. */
  host?: string;
  /**
   * That host's CPU vendor. With host-passthrough, host-model or a generic model under
   * KVM the guest sees the host's vendor; without this option `cpuVendor` stays out.
   */
  hostCpuVendor?: CpuVendor;
}

const CONFIDENTIAL: Readonly<Record<string, Confidential>> = {
  sev: 'sev',
  'sev-snp': 'sev',
  tdx: 'tdx',
  's390-pv': 's390-pv',
  cca: 'cca',
};

/**
 * The `guests[]` entry of a fleet file from a libvirt domain (`virsh dumpxml`).
 * Elements Ferry does not model are ignored; what it cannot interpret is reported with
 * its element path. Malformed XML gives `value: null` and the parser's message.
 * Never throws.
 */
export function importLibvirtDomain(
  xml: string,
  options: ImportLibvirtDomainOptions = {},
): ImportResult<GuestDraft | null, GuestDetails> {
  const log = new ProblemLog();
  const failed = () => ({ value: null, problems: log.problems, details: {} });
  if (typeof xml !== 'string') {
    log.error('(document)', 'domain XML must be a string');
    return failed();
  }

  try {
    const parsed = XmlNode.parse(xml);
    if ('error' in parsed) {
      log.add('error', '(document)', `malformed XML: ${parsed.error}`, parsed.line);
      return failed();
    }
    const domains = parsed.roots.filter((root) => root.name === 'domain');
    if (domains.length !== 1 || parsed.rootNames.length !== 1) {
      log.error('(document)', `expected one <domain> root element, found <${parsed.rootNames.join('>, <')}>`);
      return failed();
    }
    return { ...readDomain(domains[0], options, log), problems: log.problems };
  } catch (error) {
    // The parser's own limits (nesting depth, reserved names) and any bug here end up
    // as a problem: the promise to callers is never to throw.
    log.error('(document)', `cannot import this document: ${(error as Error).message}`);
    return failed();
  }
}

function readDomain(
  domain: XmlNode,
  options: ImportLibvirtDomainOptions,
  log: ProblemLog,
): { value: GuestDraft; details: GuestDetails } {
  const name = domain.child('name')?.text();
  const uuid = domain.child('uuid')?.text();
  const osType = domain.child('os')?.child('type');
  const arch = osType?.attr('arch');
  const machine = osType?.attr('machine');
  const devices = domain.child('devices');
  const id = guestId(name, uuid, log);
  checkMachine(machine, osType?.path ?? 'domain/os/type', log);

  const cpu = readGuestCpu(domain, arch, log);
  const cpuVendor = cpu.cpuVendor ?? resolveHostVendor(cpu.followsHost, options.hostCpuVendor, log);
  const memory = readGuestMemory(domain, log);
  const viommu = readViommu(devices, machine, log);
  const confidential = readConfidential(domain, log);
  const ids = new DeviceIds();
  const virtio = readVirtioDevices(devices, machine, new PciPlacement(devices, machine), ids, log);
  const hostdevs = readHostdevs(devices, ids, log);
  const features = readFeatures(domain);

  // Built in docs/fleet-format.md's field order so written YAML reads like its tables.
  const value: GuestDraft = {
    id,
    ...(options.host !== undefined && { host: options.host }),
    ...(machine && { machine }),
    ...(cpuVendor && { cpuVendor }),
    ...(memory.memory && { memory: memory.memory }),
    ...(cpu.physBits !== undefined && { physBits: cpu.physBits }),
    ...viommu.value,
    guestOs: { xen: domain.attr('type') === 'xen', confidential },
    devices: [...virtio.devices, ...hostdevs],
  };
  const details: GuestDetails = {
    ...(uuid && { uuid }),
    ...(name && { name }),
    ...(arch && { arch }),
    ...(cpu.cpuMode && { cpuMode: cpu.cpuMode }),
    ...(cpu.cpuModel && { cpuModel: cpu.cpuModel }),
    ...(cpu.followsHost && { cpuVendorFollowsHost: true }),
    ...memory.details,
    ...(viommu.options && { viommuOptions: viommu.options }),
    ...(features && { features }),
    transports: virtio.transports,
  };
  return { value, details };
}

function guestId(name: string | undefined, uuid: string | undefined, log: ProblemLog): string {
  const fromName = normalise(name ?? '');
  if (fromName !== '') return fromName;
  const fallback = uuid ? `guest-${normalise(uuid).slice(0, 8)}` : 'guest';
  log.error('domain/name', `no usable domain name; id set to "${fallback}"`);
  return fallback;
}

/** Passed through as is, but said plainly when the fleet schema will not take it. */
function checkMachine(machine: string | undefined, path: string, log: ProblemLog): void {
  if (!machine) {
    log.warning(path, 'no machine type; the planner cannot derive the guest memory map');
  } else if (!parseMachineType(machine)) {
    // e.g. RHEL's pc-q35-rhel9.4.0: its layout follows an upstream version Ferry cannot tell from the name.
    log.warning(
      path,
      `machine type "${machine}" is not one the fleet schema accepts (pc-q35-X.Y, pc-i440fx-X.Y, virt-X.Y, pseries-X.Y, s390-ccw-virtio-X.Y)`,
    );
  } else if (!/\d/.test(machine)) {
    log.note(path, `machine "${machine}" is an unversioned alias; its memory layout depends on the QEMU version`);
  }
}

function resolveHostVendor(
  followsHost: { path: string; reason: string } | undefined,
  hostCpuVendor: CpuVendor | undefined,
  log: ProblemLog,
): CpuVendor | undefined {
  if (!followsHost) return undefined;
  if (hostCpuVendor) {
    log.note(followsHost.path, `${followsHost.reason}: the vCPU vendor is the host's (${hostCpuVendor})`);
    return hostCpuVendor;
  }
  log.warning(
    followsHost.path,
    `${followsHost.reason}: the vCPU vendor is the host's; cpuVendor left out (pass hostCpuVendor)`,
  );
  return undefined;
}

function readConfidential(domain: XmlNode, log: ProblemLog): Confidential | Unrecognised {
  const launch = domain.child('launchSecurity');
  if (!launch) return 'none';
  const type = launch.attr('type') ?? '';
  const confidential = CONFIDENTIAL[type];
  if (!confidential) {
    // Passed through, not left out: the schema's default "none" would plan an encrypted guest as a plain one.
    log.error(launch.path, `unknown launchSecurity type ${JSON.stringify(type)}; passed through unrecognised`);
    return type;
  }
  // SNP keeps SEV's DMA rules: devices must offer ACCESS_PLATFORM and bounce through swiotlb.
  if (type === 'sev-snp') log.note(launch.path, 'sev-snp recorded as confidential: sev');
  return confidential;
}

function readFeatures(domain: XmlNode): GuestDetails['features'] {
  const features = domain.child('features');
  const ioapicDriver = features?.child('ioapic')?.attr('driver');
  const gicVersion = features?.child('gic')?.attr('version');
  if (!ioapicDriver && !gicVersion) return undefined;
  return { ...(ioapicDriver && { ioapicDriver }), ...(gicVersion && { gicVersion }) };
}
