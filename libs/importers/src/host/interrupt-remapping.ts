import { parseHexU64 } from '../common/hex.js';
import type { IommuModel } from '../common/fleet-shapes.js';
import type { HostTree } from './host-tree.js';

// VT-d extended capability register, IR bit: `ecap_ir_support()`.
const ECAP_IR_BIT = 3n;

/**
 * Whether MSIs are isolated, without which VFIO type1 refuses to attach a group
 * (docs/domain.md#vfio-iova-ranges, #msi). /proc/interrupts is the best evidence because it shows what
 * the kernel enabled, not what the hardware could do: x86 names remapped vectors
 * "IR-PCI-MSI"/"IR-IO-APIC"; arm64 MSIs through a GICv3 ITS are isolated.
 */
export function readInterruptRemapping(tree: HostTree, model: IommuModel, units: string[]): boolean | undefined {
  const interrupts = tree.readText('proc/interrupts');

  if (model === 'intel-vtd' || model === 'amd-vi') {
    if (interrupts !== undefined) {
      if (/\bIR-(PCI-MSI|PCI-MSIX|IO-APIC)/.test(interrupts)) return true;
      if (/\b(PCI-MSI|PCI-MSIX|IO-APIC)\b/.test(interrupts)) return false;
    }
    if (model === 'intel-vtd') {
      const fromEcap = intelEcapSaysIr(tree, units);
      if (fromEcap !== undefined) {
        const disabled = /\bintremap=off\b/.test(tree.readText('proc/cmdline') ?? '');
        tree.report(
          'note',
          'proc/interrupts',
          'interrupt remapping taken from the VT-d ecap register and the kernel command line',
        );
        return fromEcap && !disabled;
      }
    }
  }

  if (model === 'arm-smmuv3' && interrupts !== undefined) {
    if (/\bITS-(PCI-MSI|pMSI|MSI)\b/.test(interrupts)) return true;
    if (/\bGICv2m-PCI-MSI\b/.test(interrupts)) return false;
  }

  if (model === 'intel-vtd' || model === 'amd-vi' || model === 'arm-smmuv3') {
    tree.report('warning', 'proc/interrupts', 'cannot tell whether interrupt remapping (MSI isolation) is enabled');
  }
  return undefined;
}

function intelEcapSaysIr(tree: HostTree, units: string[]): boolean | undefined {
  let seen = false;
  for (const unit of units) {
    const file = `sys/class/iommu/${unit}/intel-iommu/ecap`;
    const text = tree.readText(file)?.trim();
    if (text === undefined) continue;
    const ecap = parseHexU64(text);
    if (ecap === undefined) {
      tree.report('error', file, `extended capability register ${JSON.stringify(text)} is not hex; ignored`);
      continue;
    }
    seen = true;
    // Every DMAR unit must remap, or some devices' MSIs are not isolated.
    if (((ecap >> ECAP_IR_BIT) & 1n) === 0n) return false;
  }
  return seen ? true : undefined;
}
