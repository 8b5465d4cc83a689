import type { GuestDeviceInput, GuestDeviceKind, VirtioTransport } from '../common/fleet-shapes.js';
import type { DeviceIds } from './device-ids.js';
import { onOff } from './on-off.js';
import type { PciPlacement } from './pci-placement.js';
import type { ProblemLog } from './problem-log.js';
import type { XmlNode } from './xml-node.js';

interface VirtioMatch {
  kind: GuestDeviceKind;
  /** libvirt's virtio model: "virtio", "virtio-transitional" or "virtio-non-transitional". */
  model?: string;
  /**
   * Device types with no legacy (virtio 0.9) definition: QEMU forces them modern-only
   * (virtio_pci_force_virtio_1 / virtio_legacy_allowed), wherever they sit.
   */
  modernOnly?: boolean;
  idPrefix: string;
  idHint?: string;
}

const VIRTIO_MODELS: ReadonlySet<string> = new Set(['virtio', 'virtio-transitional', 'virtio-non-transitional']);
const isVirtio = (model: string | undefined): model is string => model !== undefined && VIRTIO_MODELS.has(model);

// One recogniser per libvirt device element that can be a virtio device.
const RECOGNISERS: ReadonlyArray<readonly [string, (node: XmlNode) => VirtioMatch | undefined]> = [
  [
    'interface',
    (node) => {
      // An SR-IOV VF assigned with VFIO (guest-hostdevs.ts): <model type='virtio'> there names the
      // function's own (physical) virtio interface, not an emulated virtio-net.
      if (node.attr('type') === 'hostdev') return undefined;
      const model = node.child('model')?.attr('type');
      // vDPA interfaces are virtio-net in the guest whatever the backend.
      if (isVirtio(model) || node.attr('type') === 'vdpa') return { kind: 'virtio-net', model, idPrefix: 'net' };
      return undefined;
    },
  ],
  [
    'disk',
    (node) => {
      const target = node.child('target');
      if (target?.attr('bus') !== 'virtio') return undefined;
      return { kind: 'virtio-blk', model: node.attr('model'), idPrefix: 'disk', idHint: target.attr('dev') };
    },
  ],
  [
    'controller',
    (node) => {
      const model = node.attr('model');
      if (node.attr('type') === 'scsi' && (model === 'virtio-scsi' || isVirtio(model))) {
        return { kind: 'virtio-scsi', model: model === 'virtio-scsi' ? 'virtio' : model, idPrefix: 'scsi' };
      }
      if (node.attr('type') === 'virtio-serial') return { kind: 'virtio-serial', model, idPrefix: 'serial' };
      return undefined;
    },
  ],
  [
    'rng',
    (node) =>
      isVirtio(node.attr('model')) ? { kind: 'virtio-rng', model: node.attr('model'), idPrefix: 'rng' } : undefined,
  ],
  [
    'memballoon',
    (node) =>
      isVirtio(node.attr('model'))
        ? { kind: 'virtio-balloon', model: node.attr('model'), idPrefix: 'balloon' }
        : undefined,
  ],
  [
    'video',
    (node) =>
      node.child('model')?.attr('type') === 'virtio'
        ? { kind: 'virtio-gpu', modernOnly: true, idPrefix: 'video' }
        : undefined,
  ],
  [
    'input',
    (node) =>
      node.attr('bus') === 'virtio'
        ? { kind: 'virtio-input', model: node.attr('model'), modernOnly: true, idPrefix: 'input' }
        : undefined,
  ],
  [
    'filesystem',
    (node) => {
      const type = node.attr('type') ?? 'mount';
      if (type !== 'mount') return undefined;
      // vhost-user-fs is a virtio 1.0-only device; everything else of type mount is virtio-9p,
      // which the fleet format also calls virtio-fs (same IOMMU rules; it can be transitional).
      if (node.child('driver')?.attr('type') === 'virtiofs')
        return { kind: 'virtio-fs', modernOnly: true, idPrefix: 'fs' };
      return { kind: 'virtio-fs', model: node.attr('model'), idPrefix: 'fs' };
    },
  ],
  [
    'vsock',
    (node) => {
      const model = node.attr('model') ?? 'virtio';
      return isVirtio(model) ? { kind: 'virtio-vsock', model, modernOnly: true, idPrefix: 'vsock' } : undefined;
    },
  ],
];

/**
 * The guest's virtio devices, with what the planner needs about each: does it honour
 * the IOMMU (`<driver iommu='on'>`, VIRTIO_F_ACCESS_PLATFORM) and is it transitional
 * (a legacy interface, which cannot offer that bit: docs/domain.md#virtio-qemu). The transport of
 * each comes back beside them: the fleet format has no field for it.
 */
export function readVirtioDevices(
  devices: XmlNode | undefined,
  machine: string | undefined,
  placement: PciPlacement,
  ids: DeviceIds,
  log: ProblemLog,
): { devices: GuestDeviceInput[]; transports: Record<string, VirtioTransport>; ats: string[] } {
  const result: GuestDeviceInput[] = [];
  const transports: Record<string, VirtioTransport> = {};
  const ats: string[] = [];
  for (const [element, recognise] of RECOGNISERS) {
    for (const node of devices?.children(element) ?? []) {
      const match = recognise(node);
      if (!match) continue;
      if (node.attr('type') === 'vdpa') {
        log.note(node.path, 'vDPA interface recorded as virtio-net: its host PCI function is not in the domain XML');
      }
      const transport = transportOf(node, machine);
      const driver = node.child('driver');
      const iommuPlatform = driver ? onOff(driver, 'iommu', log) : undefined;
      const transitional = isTransitional(node, match, transport, placement, log);
      const id = ids.next(node, match.idPrefix, match.idHint);
      if (driver && driver.attr('ats') === 'on') {
        // PCIe ATS lets the device cache IOMMU translations; the fleet format has no field for it.
        ats.push(id);
        log.note(driver.path, `ats=on (PCIe Address Translation Services): recorded in details.ats, not planned on`);
      }
      result.push({
        id,
        kind: match.kind,
        ...(iommuPlatform !== undefined && { iommuPlatform }),
        ...(transitional !== undefined && { transitional }),
      });
      transports[id] = transport;
    }
  }
  // The fleet format has no kind for virtio-crypto. (<iommu model='virtio'> is the
  // vIOMMU, recorded as the guest's `viommu`.)
  for (const node of devices?.children('crypto') ?? []) {
    if (isVirtio(node.attr('model'))) log.note(node.path, 'virtio-crypto is not a fleet device kind; not recorded');
  }
  for (const node of devices?.children('sound') ?? []) {
    if (node.attr('model') === 'virtio') log.note(node.path, 'virtio-sound is not a fleet device kind; not recorded');
  }
  const implied = impliedVirtioSerial(devices, machine, placement, ids, log);
  if (implied) {
    result.push(implied.device);
    transports[implied.device.id] = implied.transport;
  }
  return { devices: result, transports, ats };
}

// libvirt adds a virtio-serial controller to a domain whose console or channel has a virtio target
// and that has none (qemuDomainDefAddImplicitControllers / virDomainDefMaybeAddVirtioSerialController).
function impliedVirtioSerial(
  devices: XmlNode | undefined,
  machine: string | undefined,
  placement: PciPlacement,
  ids: DeviceIds,
  log: ProblemLog,
): { device: GuestDeviceInput; transport: VirtioTransport } | undefined {
  if (!devices || devices.children('controller').some((c) => c.attr('type') === 'virtio-serial')) return undefined;
  const user = [...devices.children('console'), ...devices.children('channel')].find(
    (node) => node.child('target')?.attr('type') === 'virtio',
  );
  if (!user) return undefined;
  log.note(user.path, 'a virtio console or channel: libvirt adds a virtio-serial controller, recorded as a device');
  const transport: VirtioTransport = machine?.startsWith('s390') ? 'ccw' : 'pci';
  const transitional = transport === 'ccw' ? false : placement.legacyEnabled(devices, log);
  const device: GuestDeviceInput = {
    id: ids.next(devices, 'serial'),
    kind: 'virtio-serial',
    ...(transitional !== undefined && { transitional }),
  };
  return { device, transport };
}

function transportOf(node: XmlNode, machine: string | undefined): VirtioTransport {
  const type = node.child('address')?.attr('type');
  if (type === 'ccw') return 'ccw';
  if (type === 'virtio-mmio') return 'mmio';
  if (type === 'pci') return 'pci';
  // Unplaced devices go where libvirt puts them: ccw on s390, PCI elsewhere.
  return machine?.startsWith('s390') ? 'ccw' : 'pci';
}

function isTransitional(
  node: XmlNode,
  match: VirtioMatch,
  transport: VirtioTransport,
  placement: PciPlacement,
  log: ProblemLog,
): boolean | undefined {
  // virtio-ccw negotiates a revision instead of exposing a separate legacy interface.
  if (transport === 'ccw') return false;
  if (transport === 'mmio') {
    log.note(node.path, "virtio-mmio: legacy or modern depends on QEMU's force-legacy setting; transitional left out");
    return undefined;
  }
  if (match.model === 'virtio-transitional') return true;
  if (match.model === 'virtio-non-transitional') return false;
  if (match.modernOnly) return false;
  return placement.legacyEnabled(node, log);
}
