import { sameFacts } from '../canonical.js';
import type { DomainEvent } from '../events.js';
import type { MachineDefault } from '../fleet/fleet-file-schema.js';
import { machineMatches } from '../fleet/machine-type.js';

// Herrenschmidt's design (docs/domain.md#virtio-machine-defaults): a machine-level default for VIRTIO_F_ACCESS_PLATFORM that
// each device may override. QEMU's own default is iommu_platform=off on every device (docs/domain.md#virtio-qemu).

export type MachineDefaultsEvent = DomainEvent<'MachineDefaultsSet', { defaults: MachineDefault[] }>;
export type MachineDefaultsCommand = { type: 'SetMachineDefaults'; defaults: MachineDefault[] };

export function decideMachineDefaults(
  command: MachineDefaultsCommand,
  state: MachineDefault[],
): MachineDefaultsEvent[] {
  if (sameFacts(state, command.defaults)) return [];
  return [{ type: 'MachineDefaultsSet', data: { defaults: command.defaults } }];
}

export function evolveMachineDefaults(_state: MachineDefault[], event: MachineDefaultsEvent): MachineDefault[] {
  return event.data.defaults;
}

/** The effective iommu_platform of a virtio device: its own setting, else the most specific machine default, else off. */
export function effectiveIommuPlatform(
  device: { iommuPlatform?: boolean },
  machine: string,
  defaults: readonly MachineDefault[],
): { value: boolean; source: 'device' | 'machine-default' | 'qemu-default'; rule?: string } {
  if (device.iommuPlatform !== undefined) return { value: device.iommuPlatform, source: 'device' };
  const matching = defaults
    .filter((d) => machineMatches(d.machine, machine))
    .sort((a, b) => b.machine.length - a.machine.length);
  const best = matching[0];
  if (best) return { value: best.virtioIommuPlatform, source: 'machine-default', rule: best.machine };
  return { value: false, source: 'qemu-default' };
}
