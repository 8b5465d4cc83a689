import type { ProblemLog } from './problem-log.js';
import type { XmlNode } from './xml-node.js';

// Controllers whose buses are PCI Express and not a root bus. QEMU's virtio-pci with
// disable-legacy=auto turns the legacy interface off exactly there
// (virtio_pci_realize: pcie_port = pci_bus_is_express(bus) && !pci_bus_is_root(bus)).
const EXPRESS_PORTS: ReadonlySet<string> = new Set(['pcie-root-port', 'pcie-switch-downstream-port']);

const PCIE_MACHINES = /^(pc-q35|q35|virt)/;
const CONVENTIONAL_MACHINES = /^(pc-i440fx|pc$|pc-\d|pseries)/;

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
    // Bus 0 is the machine's root bus even where the XML lists no controllers (hand-written domains).
    const model = bus === undefined ? undefined : (this.busModels.get(bus) ?? (bus === 0 ? this.rootBus() : undefined));
    if (model === 'pcie-root') {
      // QEMU 7.2: disable-legacy=auto resolves to "off" on pcie.0 and "on" behind a pcie-root-port.
      log.note(
        device.path,
        'on the PCIe root bus QEMU keeps the legacy interface: transitional (behind a pcie-root-port it would be modern-only)',
      );
    }
    if (model) return !EXPRESS_PORTS.has(model);

    // No recorded bus: libvirt will place it, on a root port for PCIe machines
    // (q35, virt) and on the root bus for conventional ones (i440fx, pseries).
    const machine = this.machine ?? '';
    if (PCIE_MACHINES.test(machine)) return false;
    if (CONVENTIONAL_MACHINES.test(machine)) return true;
    log.note(device.path, 'cannot tell whether this virtio device is transitional from its placement');
    return undefined;
  }

  private rootBus(): string | undefined {
    const machine = this.machine ?? '';
    if (PCIE_MACHINES.test(machine)) return 'pcie-root';
    if (CONVENTIONAL_MACHINES.test(machine)) return 'pci-root';
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
