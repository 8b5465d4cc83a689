import type { ProblemLog } from './problem-log.js';
import type { XmlNode } from './xml-node.js';

// Controllers whose buses are PCI Express and not a root bus. QEMU's virtio-pci with
// disable-legacy=auto turns the legacy interface off exactly there
// (virtio_pci_realize: pcie_port = pci_bus_is_express(bus) && !pci_bus_is_root(bus)).
const EXPRESS_PORTS: ReadonlySet<string> = new Set(['pcie-root-port', 'pcie-switch-downstream-port']);

/**
 * Where a plain `model='virtio'` PCI device sits decides whether QEMU makes it
 * transitional (legacy + modern) or modern-only. Root buses (pcie-root, pci-root),
 * conventional PCI bridges and expander buses keep the legacy interface.
 */
export class PciPlacement {
  private readonly busModels = new Map<number, string>();

  constructor(
    devices: XmlNode | undefined,
    private readonly machine: string | undefined,
  ) {
    for (const controller of devices?.children('controller') ?? []) {
      if (controller.attr('type') !== 'pci') continue;
      const index = controller.attr('index');
      const model = controller.attr('model');
      if (index !== undefined && /^\d+$/.test(index) && model) this.busModels.set(Number(index), model);
    }
  }

  /** true: legacy interface on; false: modern only; undefined: cannot tell. */
  legacyEnabled(device: XmlNode, log: ProblemLog): boolean | undefined {
    const bus = parsePciNumber(device.child('address')?.attr('bus'));
    const model = bus === undefined ? undefined : this.busModels.get(bus);
    if (model) return !EXPRESS_PORTS.has(model);

    // No recorded bus: libvirt will place it, on a root port for PCIe machines
    // (q35, virt) and on the root bus for conventional ones (i440fx, pseries).
    const machine = this.machine ?? '';
    if (/^(pc-q35|q35|virt)/.test(machine)) return false;
    if (/^(pc-i440fx|pc$|pc-\d|pseries)/.test(machine)) return true;
    log.note(device.path, 'cannot tell whether this virtio device is transitional from its placement');
    return undefined;
  }
}

/** libvirt PCI address fields are read with base 0: "0x81" is hex, "129" decimal. */
export function parsePciNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^\d+$/.test(text)) return Number(text);
  return undefined;
}
