import { ARCHES, MACHINE_FAMILY_ARCH, parseMachineType } from '@ferry/domain';
import type { Arch, Confidential, CpuVendor, GuestDetails, GuestDraft, Unrecognised } from '../common/fleet-shapes.js';
import type { ImportResult } from '../common/problems.js';
import { DeviceIds, normalise } from './device-ids.js';
import { readGuestCpu } from './guest-cpu.js';
import { readGuestVendor } from './guest-vendor.js';
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

const FLEET_ARCHES: ReadonlySet<string> = new Set(ARCHES);

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
    if (domains.length > 1 && parsed.rootNames.length === 1) {
      log.error('(document)', severalDomains(domains));
      return failed();
    }
    if (domains.length !== 1 || parsed.rootNames.length !== 1) {
      log.error('(document)', `expected one <domain> root element, found <${parsed.rootNames.join('>, <')}>`);
      return failed();
    }
    const other = otherHypervisor(domains[0]!.attr('type'));
    if (other) {
      log.error('domain', other);
      return failed();
    }
    return { ...readDomain(domains[0]!, options, log), problems: log.problems };
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
  const { cpuVendor, followsHost } = readGuestVendor(domain, options.hostCpuVendor, log);
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
    ...(arch && FLEET_ARCHES.has(arch) && arch !== defaultArchOf(machine) && { arch: arch as Arch }),
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
    ...(followsHost && { cpuVendorFollowsHost: true }),
    ...memory.details,
    ...(viommu.options && { viommuOptions: viommu.options }),
    ...(features && { features }),
    transports: virtio.transports,
    ...(virtio.ats.length > 0 && { ats: virtio.ats }),
  };
  return { value, details };
}

// virt-install --print-xml writes one document per stage when installing needs its own boot
// (kernel/initrd or CD-ROM, <on_reboot>destroy</on_reboot>), then the domain as it will run.
function severalDomains(domains: readonly XmlNode[]): string {
  const names = [...new Set(domains.map((d) => d.child('name')?.text()).filter(Boolean))];
  const name = names.length === 1 ? names[0]! : '<name>';
  return (
    `this file holds ${domains.length} <domain> documents${names.length === 1 ? ` for "${name}"` : ''}: ` +
    'virt-install --print-xml writes the installation stage first and the domain as it boots afterwards. ' +
    `Import the running definition instead (virsh dumpxml ${name}), or keep only the last document in the file.`
  );
}

// libvirt drivers other than QEMU's: their guests have no QEMU machine type or memory layout.
const OTHER_HYPERVISORS: Readonly<Record<string, string>> = {
  xen: 'Xen (libxl)',
  lxc: 'a Linux container (libvirt LXC)',
  test: "libvirt's test driver",
  bhyve: 'bhyve (FreeBSD)',
  vz: 'Virtuozzo',
  openvz: 'OpenVZ',
  vmware: 'VMware',
  hyperv: 'Hyper-V',
  vbox: 'VirtualBox',
  uml: 'User-Mode Linux',
};

function otherHypervisor(type: string | undefined): string | undefined {
  if (type === undefined || type === 'kvm' || type === 'qemu' || type === 'hvf' || type === 'kqemu') return undefined;
  const what = OTHER_HYPERVISORS[type] ?? `an unknown hypervisor`;
  return `<domain type='${type}'> is a domain of ${what}, not a QEMU/KVM guest: Ferry plans QEMU guests (machine types, QEMU's memory layout), so nothing was imported. Import domains of libvirt's QEMU driver (virsh -c qemu:///system dumpxml).`;
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
  const parsed = machine ? parseMachineType(machine) : undefined;
  if (!machine) {
    log.warning(path, 'no machine type; the planner cannot derive the guest memory map');
  } else if (!parsed) {
    log.warning(
      path,
      `machine type "${machine}" is not one the fleet schema accepts (pc-q35-X.Y, pc-i440fx-X.Y, pc-0.X/pc-1.X, virt-X.Y, pseries-X.Y, s390-ccw-virtio-X.Y, or a RHEL <family>-rhelX.Y.Z)`,
    );
  } else if (parsed.downstream && parsed.version !== 'latest') {
    log.note(
      path,
      `machine "${machine}" is RHEL's; its memory layout follows upstream ${parsed.family}-${parsed.version.join('.')}`,
    );
  } else if (!/\d/.test(machine)) {
    log.note(path, `machine "${machine}" is an unversioned alias; its memory layout depends on the QEMU version`);
  }
}

/** What the fleet format means by the machine type alone (virt → aarch64); arch is written only when it differs. */
function defaultArchOf(machine: string | undefined): string | undefined {
  const parsed = machine ? parseMachineType(machine) : undefined;
  return parsed ? MACHINE_FAMILY_ARCH[parsed.family] : undefined;
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
