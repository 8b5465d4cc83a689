// Whether a virtio device offers VIRTIO_F_ACCESS_PLATFORM: its own iommu_platform, else the machine
// family's default (docs/domain.md#virtio-machine-defaults), else QEMU's default off.
import { effectiveIommuPlatform } from '@ferry/domain';
import type { VirtioContext } from '../context.js';

export interface EffectivePlatform {
  value: boolean;
  source: 'device' | 'machine-default' | 'qemu-default' | 'confidential-guest-support';
  rule?: string;
}

export function effectivePlatform(context: VirtioContext): EffectivePlatform {
  const { guest, device, machineDefaults } = context;
  // s390x PV: confidential-guest-support turns the IOMMU on for every device (docs/system/s390x/protvirt.rst).
  if (guest.state.guestOs.confidential === 's390-pv') return { value: true, source: 'confidential-guest-support' };
  return effectiveIommuPlatform(device, guest.state.definition.machine, machineDefaults);
}

export const platformEvidence = (context: VirtioContext, platform: EffectivePlatform) => ({
  guestId: context.guest.id,
  device: context.device.id,
  kind: context.device.kind,
  iommuPlatform: platform.value,
  iommuPlatformSource: platform.source,
  machineDefault: platform.rule ?? null,
  machine: context.guest.state.definition.machine,
});

/** pseries' TCE "vIOMMU" is always present and QEMU ignores it for legacy virtio (docs/domain.md#virtio-matrix): not a vIOMMU here. */
export const hasTranslatingViommu = (context: VirtioContext) => {
  const viommu = context.guest.state.definition.viommu;
  return viommu !== 'none' && viommu !== 'spapr';
};
