import type { GuestDeviceInput } from '../common/fleet-shapes.js';
import type { DeviceIds } from './device-ids.js';
import { parsePciNumber } from './pci-placement.js';
import type { ProblemLog } from './problem-log.js';
import type { XmlNode } from './xml-node.js';

// Field limits of a PCI address: domain 16 bits, bus 8, slot (device) 5, function 3.
const FIELDS = [
  ['domain', 0xffff, 4],
  ['bus', 0xff, 2],
  ['slot', 0x1f, 2],
  ['function', 0x7, 1],
] as const;

/**
 * Host PCI functions assigned with VFIO: `<hostdev mode='subsystem' type='pci'>` and
 * SR-IOV `<interface type='hostdev'>`, each naming the host function in
 * `<source><address domain bus slot function/>`.
 */
export function readHostdevs(devices: XmlNode | undefined, ids: DeviceIds, log: ProblemLog): GuestDeviceInput[] {
  const result: GuestDeviceInput[] = [];

  for (const hostdev of devices?.children('hostdev') ?? []) {
    if ((hostdev.attr('mode') ?? 'subsystem') !== 'subsystem') continue;
    const type = hostdev.attr('type');
    if (type === 'mdev') {
      log.note(hostdev.path, 'mediated device (mdev): VFIO, but not a host PCI function; not modelled');
      continue;
    }
    // USB and SCSI passthrough do not go through the IOMMU as a PCI function.
    if (type !== 'pci') continue;
    const hostDevice = readSourceAddress(hostdev, log);
    if (hostDevice) result.push({ id: ids.next(hostdev, 'hostdev'), kind: 'vfio', hostDevice });
  }

  for (const iface of devices?.children('interface') ?? []) {
    if (iface.attr('type') !== 'hostdev') continue;
    const hostDevice = readSourceAddress(iface, log);
    if (hostDevice) result.push({ id: ids.next(iface, 'hostdev'), kind: 'vfio', hostDevice });
  }
  return result;
}

/** "0000:81:00.0", or undefined after reporting why the address is unusable. */
function readSourceAddress(device: XmlNode, log: ProblemLog): string | undefined {
  const address = device.child('source')?.child('address');
  const path = address?.path ?? `${device.path}/source/address`;
  if (!address) {
    log.error(path, 'PCI host device without a source address; device skipped');
    return undefined;
  }
  if (address.attr('type') !== undefined && address.attr('type') !== 'pci') {
    log.error(path, `source address type ${JSON.stringify(address.attr('type'))} is not pci; device skipped`);
    return undefined;
  }

  const parts: string[] = [];
  for (const [field, max, digits] of FIELDS) {
    const raw = address.attr(field) ?? (field === 'domain' ? '0' : undefined);
    const value = parsePciNumber(raw);
    if (value === undefined || value > max) {
      log.error(
        path,
        `${field}=${JSON.stringify(raw)} is not a PCI ${field} number (0 to 0x${max.toString(16)}); device skipped`,
      );
      return undefined;
    }
    parts.push(value.toString(16).padStart(digits, '0'));
  }
  return `${parts[0]}:${parts[1]}:${parts[2]}.${parts[3]}`;
}
