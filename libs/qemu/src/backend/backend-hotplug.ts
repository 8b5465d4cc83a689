// An emulator HotplugSpec run on real QEMU: a VM with the guest's RAM and devices on its root
// ports, then one device_add (or a pc-dimm) for the new device. QEMU's refusal is kept verbatim.
import { existsSync, readdirSync } from 'node:fs';
import type { DeviceSpec, GuestState, HotplugCode, HotplugResult, HotplugSpec, PluggedDevice } from '@ferry/emulator';
import { MAX_ROOT_PORTS } from '../devices/device-arguments.js';
import { rootPortId, type DimmSpec, type VirtioDeviceSpec, type VirtioDriver } from '../devices/device-spec.js';
import { QemuDriverError } from '../errors.js';
import { buildTestGuest, testGuestAppend } from '../guest/test-guest.js';
import type { Accelerator } from '../process/accelerator.js';
import { QemuVm } from '../process/qemu-vm.js';
import type { QemuVmConfig } from '../process/vm-config.js';
import { QmpCommandError } from '../qmp/qmp-errors.js';
import { hotplugDevice } from './device-hotplug.js';
import { hotplugMemory } from './memory-hotplug.js';

export interface QemuHotplugResult extends HotplugResult {
  /** Why, in a sentence: QEMU's refusal, or the backend's own when QEMU was not asked. */
  message: string | null;
}

export interface QemuHotplugOptions {
  maxMemoryMiB: number;
  accelerator?: Accelerator;
}

/**
 * Device_add refusals the model has no code for (a device model missing from this QEMU, a vhost
 * device without its host side). Not in the emulator's HotplugCode union yet; see the report.
 */
const DEVICE_REFUSED = 'DEVICE_REFUSED' as HotplugCode;

const MiB = 1024n * 1024n;
let nextVmNumber = 1;

/** Emulator model names that QEMU spells differently; the rest are QEMU's names already. */
const QEMU_MODEL: Record<string, string> = {
  'virtio-vsock-pci': 'vhost-vsock-pci',
  'virtio-fs-pci': 'vhost-user-fs-pci',
  'virtio-input-pci': 'virtio-keyboard-pci',
};

export async function hotplugOnQemu(
  { guest, device }: HotplugSpec,
  options: QemuHotplugOptions,
): Promise<QemuHotplugResult> {
  if (guest.status !== 'running')
    return refused(guest, 'GUEST_NOT_RUNNING', null, `guest ${guest.id} is ${guest.status}`);
  if (device.kind === 'vfio-pci') {
    return refused(
      guest,
      'VFIO_NO_IOMMU_BACKEND',
      null,
      `not attempted: the QEMU backend cannot assign host device ${device.hostAddress} (VFIO group ${device.group.id}) — ${iommuAbsence()}`,
    );
  }
  const portIndex = new Map(guest.pcieRootPorts.slice(0, MAX_ROOT_PORTS).map((port, index) => [port.id, index]));
  if (device.kind === 'virtio') {
    if (!portIndex.has(device.bus)) return refused(guest, 'BUS_NOT_FOUND', null, `Bus '${device.bus}' not found`);
    // QEMU would put a second device in the port's slot 1; a root port has one slot (see DeviceInventory).
    const occupant = guest.pcieRootPorts.find((p) => p.id === device.bus)?.deviceId;
    if (occupant)
      return refused(guest, 'BUS_OCCUPIED', null, `pcie-root-port "${device.bus}" already holds device "${occupant}"`);
  }
  const vm = await QemuVm.start(await vmConfigFor(guest, device, portIndex, options));
  try {
    return await plug(vm, guest, device, portIndex);
  } finally {
    await vm.stop({ graceMs: 2000 });
  }
}

async function plug(
  vm: QemuVm,
  guest: GuestState,
  device: Exclude<DeviceSpec, { kind: 'vfio-pci' }>,
  portIndex: Map<string, number>,
): Promise<QemuHotplugResult> {
  try {
    if (device.kind === 'pc-dimm') {
      const dimm = await hotplugMemory(vm, { id: device.id, sizeBytes: Number(device.size) });
      const plugged: PluggedDevice = { id: device.id, kind: 'pc-dimm', driver: 'pc-dimm', bus: null, usable: true };
      return accepted({
        ...guest,
        ramBlocks: [...guest.ramBlocks, { name: device.id, gpa: dimm.addr ?? device.gpa, size: device.size }],
        devices: [...guest.devices, plugged],
      });
    }
    const port = rootPortId(portIndex.get(device.bus)!);
    const model = QEMU_MODEL[device.model] ?? device.model;
    // disable-legacy=off is what makes a device transitional; QEMU refuses that with iommu_platform.
    const spec = {
      id: device.id,
      driver: model as VirtioDriver,
      port,
      iommuPlatform: device.iommuPlatform,
      disableLegacy: !device.transitional,
    };
    if (model === 'virtio-net-pci' || model === 'virtio-blk-pci') await hotplugDevice(vm, spec);
    else await vm.qmp.execute('device_add', genericDeviceArguments(spec));
    const plugged: PluggedDevice = {
      id: device.id,
      kind: 'virtio',
      driver: device.model,
      bus: device.bus,
      usable: true,
    };
    return accepted({
      ...guest,
      pcieRootPorts: guest.pcieRootPorts.map((p) => (p.id === device.bus ? { ...p, deviceId: device.id } : p)),
      devices: [...guest.devices, plugged],
    });
  } catch (error) {
    if (error instanceof QmpCommandError) return refused(guest, codeOf(device, error.desc), error.desc, error.desc);
    if (error instanceof QemuDriverError) return refused(guest, driverCode(error), null, error.message);
    throw error;
  }
}

/** The guest as QEMU starts it: idle test guest, its RAM (capped), its devices on the same ports. */
async function vmConfigFor(
  guest: GuestState,
  device: DeviceSpec,
  portIndex: Map<string, number>,
  options: QemuHotplugOptions,
): Promise<QemuVmConfig> {
  const dimmIds = new Set(guest.devices.filter((d) => d.kind === 'pc-dimm').map((d) => d.id));
  const base = guest.ramBlocks.filter((b) => !dimmIds.has(b.name)).reduce((sum, b) => sum + b.size, 0n);
  const memoryMiB = Math.max(32, Math.min(options.maxMemoryMiB, Number((base + MiB - 1n) / MiB)));
  const dimms: DimmSpec[] = guest.ramBlocks
    .filter((b) => dimmIds.has(b.name))
    .map((b) => ({ id: b.name, sizeBytes: Number(b.size) }));
  const dimmBytes =
    dimms.reduce((sum, d) => sum + d.sizeBytes, 0) + (device.kind === 'pc-dimm' ? Number(device.size) : 0);
  const devices: VirtioDeviceSpec[] = [];
  const extraArgs: string[] = [];
  for (const existing of guest.devices) {
    if (existing.kind !== 'virtio' || existing.bus === null || !portIndex.has(existing.bus)) continue; // VFIO cannot be replayed here
    const port = rootPortId(portIndex.get(existing.bus)!);
    const model = QEMU_MODEL[existing.driver] ?? existing.driver;
    if (model === 'virtio-net-pci' || model === 'virtio-blk-pci')
      devices.push({ id: existing.id, driver: model, port });
    else extraArgs.push('-device', `${model},id=${existing.id},bus=${port},addr=0x0`);
  }
  return {
    name: `ferry-hotplug-${nextVmNumber++}`,
    memoryMiB,
    ...(dimmBytes > 0
      ? { memorySlots: dimms.length + 1, maxMemoryMiB: memoryMiB + Math.ceil(dimmBytes / Number(MiB)) }
      : {}),
    rootPorts: Math.max(1, portIndex.size),
    kernel: await buildTestGuest(),
    append: testGuestAppend({ workingSetMiB: 1, pagesPerSecond: 0 }),
    dimms,
    devices,
    extraArgs,
    ...(options.accelerator ? { accelerator: options.accelerator } : {}),
  };
}

function genericDeviceArguments(spec: {
  id: string;
  driver: string;
  port: string;
  iommuPlatform: boolean;
  disableLegacy: boolean;
}): Record<string, unknown> {
  return {
    driver: spec.driver,
    id: spec.id,
    bus: spec.port,
    addr: '0x0',
    iommu_platform: spec.iommuPlatform,
    'disable-legacy': spec.disableLegacy ? 'on' : 'off',
  };
}

/** QEMU's refusal in the model's terms; the text itself stays in qemuError. */
function codeOf(device: DeviceSpec, desc: string): HotplugCode {
  if (desc.includes('VIRTIO_F_IOMMU_PLATFORM was supported by neither legacy nor transitional'))
    return 'VIRTIO_IOMMU_PLATFORM_TRANSITIONAL';
  if (/Duplicate (device )?ID/i.test(desc)) return 'DUPLICATE_ID';
  if (/Bus '.*' not found/.test(desc)) return 'BUS_NOT_FOUND';
  if (/not available for|in use by/.test(desc)) return 'BUS_OCCUPIED';
  if (device.kind === 'pc-dimm') return 'DIMM_ADDRESS_CONFLICT';
  return DEVICE_REFUSED;
}

function driverCode(error: QemuDriverError): HotplugCode {
  switch (error.code) {
    case 'PORT_OCCUPIED':
      return 'BUS_OCCUPIED';
    case 'UNKNOWN_PORT':
      return 'BUS_NOT_FOUND';
    case 'DUPLICATE_ID':
      return 'DUPLICATE_ID';
    default:
      return DEVICE_REFUSED;
  }
}

function iommuAbsence(): string {
  const groups = existsSync('/sys/kernel/iommu_groups') ? readdirSync('/sys/kernel/iommu_groups').length : 0;
  return groups === 0
    ? 'this machine has no IOMMU (/sys/kernel/iommu_groups is empty), so there is no VFIO group to give QEMU'
    : `this machine has ${groups} IOMMU groups, but assigning its host devices is outside what this backend rehearses`;
}

function accepted(guest: GuestState): QemuHotplugResult {
  return {
    ok: true,
    code: 'OK',
    qemuError: null,
    kernelLog: [],
    guestLog: [],
    events: [],
    vfioBackend: guest.vfio?.backend ?? null,
    guest,
    message: null,
  };
}

function refused(guest: GuestState, code: HotplugCode, qemuError: string | null, message: string): QemuHotplugResult {
  return {
    ok: false,
    code,
    qemuError,
    kernelLog: [],
    guestLog: [],
    events: [],
    vfioBackend: guest.vfio?.backend ?? null,
    guest,
    message,
  };
}
