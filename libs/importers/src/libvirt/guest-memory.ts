import { formatSize, toHex } from '@ferry/domain';
import type { GuestDetails, GuestMemoryInput, MemoryDeviceDetails, MemoryDeviceModel } from '../common/fleet-shapes.js';
import { parseHexU64 } from '../common/hex.js';
import { parseLibvirtSize } from './libvirt-size.js';
import type { ProblemLog } from './problem-log.js';
import type { XmlNode } from './xml-node.js';

const DEVICE_MODELS: ReadonlySet<string> = new Set(['dimm', 'nvdimm', 'virtio-mem', 'virtio-pmem']);

interface MemoryDevice {
  spec: MemoryDeviceDetails;
  bytes: bigint;
}

export interface GuestMemoryFacts {
  memory?: GuestMemoryInput;
  details: Pick<GuestDetails, 'currentMemory' | 'memoryDevices'>;
}

/**
 * Guest memory as QEMU lays it out (docs/domain.md#guest-layouts): boot RAM, then the device-memory
 * region sized by maxMemory and slots. libvirt's <memory> is the boot total *including*
 * memory devices, so boot RAM is the NUMA cells' sum or <memory> minus the devices.
 */
export function readGuestMemory(domain: XmlNode, log: ProblemLog): GuestMemoryFacts {
  const sizeOf = (node: XmlNode | undefined): bigint | undefined => (node ? readSize(node, log) : undefined);

  const total = sizeOf(domain.child('memory'));
  const current = sizeOf(domain.child('currentMemory'));
  const maxNode = domain.child('maxMemory');
  const max = sizeOf(maxNode);
  const slots = maxNode ? readSlots(maxNode, log) : undefined;
  const devices = (domain.child('devices')?.children('memory') ?? []).flatMap((node) => readMemoryDevice(node, log));
  const devicesBytes = devices.reduce((sum, device) => sum + device.bytes, 0n);
  const numaBytes = readNumaTotal(domain, log);

  let ram: bigint | undefined;
  if (numaBytes !== undefined) {
    ram = numaBytes;
    if (total !== undefined && total !== numaBytes + devicesBytes) {
      log.note(
        'domain/memory',
        `<memory> (${formatSize(total)}) is not NUMA cells plus memory devices (${formatSize(numaBytes + devicesBytes)}); boot RAM taken from the NUMA cells`,
      );
    }
  } else if (total !== undefined) {
    ram = total - devicesBytes;
    if (ram < 0n) {
      log.error(
        'domain/memory',
        `memory devices (${formatSize(devicesBytes)}) exceed <memory> (${formatSize(total)}); boot RAM unknown`,
      );
      ram = undefined;
    }
  }
  noteHugepages(domain, log);
  const details: GuestMemoryFacts['details'] = {
    ...(current !== undefined && { currentMemory: formatSize(current) }),
    ...(devices.length > 0 && { memoryDevices: devices.map((device) => device.spec) }),
  };
  if (ram === undefined) {
    log.error('domain/memory', 'no usable memory size; the guest has no memory section');
    return { details };
  }
  const memory: GuestMemoryInput = {
    ram: formatSize(ram),
    ...(max !== undefined && { max: formatSize(max) }),
    ...(slots !== undefined && { slots }),
  };
  return { memory, details };
}

function readSize(node: XmlNode, log: ProblemLog): bigint | undefined {
  const parsed = parseLibvirtSize(node.text(), node.attr('unit'));
  if ('error' in parsed) {
    log.error(node.path, `${parsed.error}; ignored`);
    return undefined;
  }
  return parsed.bytes;
}

function readSlots(maxMemory: XmlNode, log: ProblemLog): number | undefined {
  const slots = maxMemory.attr('slots');
  if (slots === undefined) {
    log.warning(maxMemory.path, '<maxMemory> without slots: no DIMM slots reserved');
    return undefined;
  }
  if (!/^\d+$/.test(slots)) {
    log.error(maxMemory.path, `slots=${JSON.stringify(slots)} is not a non-negative integer; ignored`);
    return undefined;
  }
  return Number(slots);
}

function readMemoryDevice(node: XmlNode, log: ProblemLog): MemoryDevice[] {
  const model = node.attr('model') ?? '';
  if (!DEVICE_MODELS.has(model)) {
    log.note(node.path, `memory device model "${model}" is not modelled; ignored`);
    return [];
  }
  const target = node.child('target');
  const sizeNode = target?.child('size');
  if (!sizeNode) {
    log.error(`${node.path}/target/size`, `${model} without a size; ignored`);
    return [];
  }
  const bytes = readSize(sizeNode, log);
  if (bytes === undefined) return [];

  const spec: MemoryDeviceDetails = { model: model as MemoryDeviceModel, size: formatSize(bytes) };
  // DIMMs carry their guest-physical base on <address type='dimm' base=…>; virtio-mem and
  // virtio-pmem sit on PCI and carry it on <target><address base=…> (libvirt 9.4+).
  const baseHolder = model === 'dimm' || model === 'nvdimm' ? node.child('address') : target?.child('address');
  const base = baseHolder?.attr('base');
  if (base !== undefined) {
    const value = parseHexU64(base, { requirePrefix: true });
    if (value === undefined)
      log.error(baseHolder!.path, `base=${JSON.stringify(base)} is not a 64-bit hex address; ignored`);
    else spec.base = toHex(value);
  }
  const slot = node.child('address')?.attr('slot');
  if (slot !== undefined && /^\d+$/.test(slot)) spec.slot = Number(slot);
  return [{ spec, bytes }];
}

function readNumaTotal(domain: XmlNode, log: ProblemLog): bigint | undefined {
  const cells = domain.child('cpu')?.child('numa')?.children('cell') ?? [];
  if (cells.length === 0) return undefined;
  let total = 0n;
  for (const cell of cells) {
    const parsed = parseLibvirtSize(cell.attr('memory'), cell.attr('unit'));
    if ('error' in parsed) {
      log.error(cell.path, `NUMA cell memory: ${parsed.error}; NUMA sizes ignored`);
      return undefined;
    }
    total += parsed.bytes;
  }
  return total;
}

// Huge pages back RAM without moving it: the layout and what VFIO pins are the same.
function noteHugepages(domain: XmlNode, log: ProblemLog): void {
  const hugepages = domain.child('memoryBacking')?.child('hugepages');
  if (!hugepages) return;
  const sizes = hugepages.children('page').flatMap((page) => {
    const parsed = parseLibvirtSize(page.attr('size'), page.attr('unit'));
    return 'error' in parsed ? [] : [formatSize(parsed.bytes)];
  });
  const what = sizes.length > 0 ? `${sizes.join(', ')} pages` : "the host's default huge page size";
  log.note(hugepages.path, `RAM backed by huge pages (${what}): not modelled; the memory layout is unchanged`);
}
