// Failures this library detects itself, with stable codes. QEMU's own refusals stay
// QmpCommandError with QEMU's text untouched.

export type QemuDriverErrorCode =
  /** qemu-system-x86_64 (or nasm, for the test guest) is not installed. */
  | 'BINARY_NOT_FOUND'
  /** QEMU exited or never opened its QMP socket. */
  | 'START_FAILED'
  | 'INVALID_CONFIG'
  /** A second device on a pcie-root-port: QEMU accepts it, but a root port has one slot. */
  | 'PORT_OCCUPIED'
  | 'UNKNOWN_PORT'
  | 'DUPLICATE_ID'
  | 'UNKNOWN_DEVICE'
  /** device_del was accepted but the guest never released the device (no DEVICE_DELETED). */
  | 'UNPLUG_TIMEOUT'
  | 'NOT_MIGRATION_DESTINATION';

export class QemuDriverError extends Error {
  constructor(
    readonly code: QemuDriverErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'QemuDriverError';
  }
}
