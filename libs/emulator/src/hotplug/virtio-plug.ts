// virtio devices and VIRTIO_F_ACCESS_PLATFORM (bit 33, QEMU's iommu_platform=on).
// QEMU refuses the property on legacy/transitional virtio-pci at realize; a VERSION_1 driver
// that does not acknowledge an offered ACCESS_PLATFORM gets FEATURES_OK refused
// (virtio_validate_features) and the device is unusable; a restricted-memory guest (SEV, TDX,
// s390 PV, CCA) refuses a device that does not offer it (virtio_features_ok: -ENODEV).
import type { DeviceSpec, GuestState, HotplugResult } from './hotplug-model.js';
import { changed, refused } from './hotplug-result.js';
import { placeOnRootPort } from './pci-slots.js';

type VirtioDevice = Extract<DeviceSpec, { kind: 'virtio' }>;

/** Device status the driver reads back after setting FEATURES_OK: ACKNOWLEDGE | DRIVER, no FEATURES_OK. */
const STATUS_WITHOUT_FEATURES_OK = 0x3;

export function plugVirtio(guest: GuestState, device: VirtioDevice): HotplugResult {
  if (device.iommuPlatform && device.transitional) {
    return refused(
      guest,
      'VIRTIO_IOMMU_PLATFORM_TRANSITIONAL',
      'VIRTIO_F_IOMMU_PLATFORM was supported by neither legacy nor transitional device (set disable-legacy=on)',
    );
  }
  const driverRefusal = guestDriverRefusal(guest, device);
  const placed = placeOnRootPort(guest, {
    id: device.id,
    kind: 'virtio',
    driver: device.model,
    bus: device.bus,
    usable: driverRefusal === null,
  });
  if (!placed.ok) return refused(guest, placed.code, placed.message);
  if (driverRefusal === null) return changed(placed.guest, 'OK', null);
  // The device is on the bus, but the guest cannot use it: a clean, visible failure.
  return changed(placed.guest, driverRefusal.code, null, {
    guestLog: [driverRefusal.log],
    events: [{ type: 'DeviceUnusable', deviceId: device.id, reason: driverRefusal.log }],
  });
}

function guestDriverRefusal(
  guest: GuestState,
  device: VirtioDevice,
): { code: 'VIRTIO_FEATURES_OK_REFUSED' | 'VIRTIO_ACCESS_PLATFORM_REQUIRED'; log: string } | null {
  if (!device.iommuPlatform && guest.restrictedMemoryAccess) {
    return { code: 'VIRTIO_ACCESS_PLATFORM_REQUIRED', log: `virtio: device must provide VIRTIO_F_ACCESS_PLATFORM` };
  }
  if (device.iommuPlatform && !device.driverAcksAccessPlatform) {
    return {
      code: 'VIRTIO_FEATURES_OK_REFUSED',
      log: `virtio: device refuses features: ${STATUS_WITHOUT_FEATURES_OK}`,
    };
  }
  return null;
}
