// Which device sits on which pcie-root-port, and which DIMMs are plugged: the record a
// migration destination is built from. QEMU 7.2 takes a second device_add on an occupied
// root port without complaint (no addr: it lands in slot 1 of the port's bus), so the
// one-device-per-port rule lives here.
import { QemuDriverError } from '../errors.js';
import { isWellFormedId, rootPortId, type DimmSpec, type VirtioDeviceSpec } from './device-spec.js';

export class DeviceInventory {
  private readonly byPort = new Map<string, VirtioDeviceSpec>();
  private readonly dimmsById = new Map<string, DimmSpec>();

  constructor(readonly rootPortCount: number) {}

  ports(): string[] {
    return Array.from({ length: this.rootPortCount }, (_, index) => rootPortId(index));
  }

  devices(): VirtioDeviceSpec[] {
    return [...this.byPort.values()];
  }

  dimms(): DimmSpec[] {
    return [...this.dimmsById.values()];
  }

  deviceOnPort(port: string): VirtioDeviceSpec | undefined {
    return this.byPort.get(port);
  }

  device(id: string): VirtioDeviceSpec | undefined {
    return this.devices().find((device) => device.id === id);
  }

  /** Reserves the port before device_add, so two concurrent plugs cannot both pass the check. */
  claimPort(spec: VirtioDeviceSpec): void {
    this.assertNewId(spec.id);
    if (!this.ports().includes(spec.port)) {
      throw new QemuDriverError(
        'UNKNOWN_PORT',
        `no pcie-root-port "${spec.port}" (this VM has ${this.ports().join(', ') || 'none'})`,
      );
    }
    const occupant = this.byPort.get(spec.port);
    if (occupant) {
      throw new QemuDriverError(
        'PORT_OCCUPIED',
        `pcie-root-port "${spec.port}" already holds device "${occupant.id}" (${occupant.driver}); a root port takes one device`,
      );
    }
    this.byPort.set(spec.port, spec);
  }

  releaseDevice(id: string): VirtioDeviceSpec {
    const device = this.device(id);
    if (!device) throw new QemuDriverError('UNKNOWN_DEVICE', `no device "${id}" on this VM`);
    this.byPort.delete(device.port);
    return device;
  }

  addDimm(spec: DimmSpec): void {
    this.assertNewId(spec.id);
    this.dimmsById.set(spec.id, spec);
  }

  /** Records what QEMU chose (address, slot) once the DIMM is in. */
  updateDimm(spec: DimmSpec): void {
    if (!this.dimmsById.has(spec.id)) throw new QemuDriverError('UNKNOWN_DEVICE', `no DIMM "${spec.id}" on this VM`);
    this.dimmsById.set(spec.id, spec);
  }

  releaseDimm(id: string): DimmSpec {
    const dimm = this.dimmsById.get(id);
    if (!dimm) throw new QemuDriverError('UNKNOWN_DEVICE', `no DIMM "${id}" on this VM`);
    this.dimmsById.delete(id);
    return dimm;
  }

  private assertNewId(id: string): void {
    if (!isWellFormedId(id)) {
      throw new QemuDriverError(
        'INVALID_CONFIG',
        `"${id}" is not a QEMU id: a letter, then letters, digits, '-', '.', '_'`,
      );
    }
    if (this.device(id) || this.dimmsById.has(id))
      throw new QemuDriverError('DUPLICATE_ID', `a device with id "${id}" is already plugged`);
  }
}
