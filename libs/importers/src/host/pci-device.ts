import type { DeviceClass, HostDeviceInput } from '../common/fleet-shapes.js';
import type { HostTree } from './host-tree.js';

export const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

const VIRTIO_VENDOR = '0x1af4';
// VIRTIO_F_ACCESS_PLATFORM (docs/domain.md#virtio-feature-bits).
const ACCESS_PLATFORM_BIT = 33;

// Mainline VFIO variant drivers that implement migration protocol v2 (docs/domain.md#vfio-migration).
// Plain vfio-pci has no migration support, whatever the device.
const MIGRATION_DRIVERS: ReadonlySet<string> = new Set([
  'mlx5_vfio_pci',
  'hisi_acc_vfio_pci',
  'pds_vfio_pci',
  'virtio_vfio_pci',
  'qat_vfio_pci',
  'xe_vfio_pci',
]);

// PCI base class (top byte of the 24-bit class code).
function deviceClass(baseClass: number): DeviceClass {
  switch (baseClass) {
    case 0x01:
      return 'storage';
    case 0x02:
      return 'network';
    case 0x03:
      return 'gpu';
    case 0x12:
      return 'accelerator';
    default:
      return 'other';
  }
}

/**
 * One PCI function's facts from `sys/bus/pci/devices/<addr>/`. Dumps sometimes keep
 * the attributes under the group's `devices/<addr>/` instead, so that is tried too.
 * The raw class code comes back beside the fleet-file device, which has no field for it.
 */
export function readPciDevice(
  tree: HostTree,
  address: string,
  groupDir: string,
): { device: HostDeviceInput; classCode?: string } {
  const candidates = [`sys/bus/pci/devices/${address}`, `${groupDir}/devices/${address}`];
  const dir = candidates.find((path) => tree.exists(`${path}/vendor`) || tree.exists(`${path}/class`));
  if (!dir) {
    // An unknown driver keeps the group non-viable for the planner, which is the safe reading.
    tree.report('error', candidates[0], `no attributes for PCI device ${address}; driver recorded as "unknown"`);
    return {
      device: { address, class: 'other', driver: 'unknown', migratable: false, virtio: false, accessPlatform: false },
    };
  }

  const vendor = readId(tree, `${dir}/vendor`, /^0x[0-9a-f]{4}$/);
  const device = readId(tree, `${dir}/device`, /^0x[0-9a-f]{4}$/);
  const classCode = readId(tree, `${dir}/class`, /^0x[0-9a-f]{6}$/);
  const driver = readDriver(tree, `${dir}/driver`);
  const virtio = vendor === VIRTIO_VENDOR;

  // Built in docs/fleet-format.md's field order so written YAML reads like its tables.
  const spec: HostDeviceInput = {
    address,
    ...(vendor && { vendor }),
    ...(device && { device }),
    class: classCode ? deviceClass(Number.parseInt(classCode.slice(2, 4), 16)) : 'other',
    driver,
    migratable: MIGRATION_DRIVERS.has(driver.replaceAll('-', '_')),
    virtio,
    accessPlatform: virtio && offersAccessPlatform(tree, dir),
  };
  return { device: spec, ...(classCode && { classCode }) };
}

function readId(tree: HostTree, file: string, format: RegExp): string | undefined {
  const raw = tree.readText(file);
  if (raw === undefined) return undefined;
  const value = raw.trim().toLowerCase();
  if (format.test(value)) return value;
  tree.report('error', file, `unexpected content ${JSON.stringify(raw.trim())}; ignored`);
  return undefined;
}

/** sysfs `driver` is a symlink to the bound driver; a dump may hold a file with its name instead. */
function readDriver(tree: HostTree, file: string): string {
  const entry = tree.shape(file);
  if (!entry) return 'none';
  if (entry.kind === 'link') return entry.target;
  if (entry.kind === 'file' && entry.text.trim() !== '') return entry.text.trim();
  tree.report('error', file, 'driver is neither a symlink nor a file naming the driver; recorded as "unknown"');
  return 'unknown';
}

/** virtio's sysfs `features` is one '0'/'1' character per feature bit, bit 0 first. */
function offersAccessPlatform(tree: HostTree, dir: string): boolean {
  const virtioDevice = tree.list(dir)?.find((name) => /^virtio\d+$/.test(name));
  if (!virtioDevice) return false;
  const bits = tree.readText(`${dir}/${virtioDevice}/features`)?.trim() ?? '';
  return bits[ACCESS_PLATFORM_BIT] === '1';
}
