import type { Arch, IommuModel, KvmFlavour, VfioBackend } from '../common/fleet-shapes.js';
import type { HostTree } from './host-tree.js';

const TYPE1: VfioBackend[] = ['type1', 'type1v2'];
// The sPAPR driver advertises both; whether a group can use v2 is decided at SET_IOMMU (docs/domain.md#spapr-v1-fallback).
const SPAPR: VfioBackend[] = ['spapr-tce-v1', 'spapr-tce-v2'];

/**
 * The VFIO backends the host ADVERTISES, read from the loaded modules
 * (/sys/module/vfio_iommu_type1, vfio_iommu_spapr_tce). Advertised is not usable:
 * the planner decides that. With no backend module loaded yet, the list is what the
 * IOMMU model's backend would advertise once loaded, and a note says so.
 */
export function readVfioBackends(tree: HostTree, model: IommuModel): VfioBackend[] {
  const backends: VfioBackend[] = [];
  if (tree.exists('sys/module/vfio_iommu_type1')) backends.push(...TYPE1);
  if (tree.exists('sys/module/vfio_iommu_spapr_tce')) backends.push(...SPAPR);

  if (backends.length === 0) {
    const expected = model === 'spapr-tce' ? SPAPR : model === 'none' ? [] : TYPE1;
    if (expected.length > 0) {
      tree.report(
        'note',
        'sys/module',
        `no VFIO IOMMU backend module loaded; listing what ${model} would advertise (${expected.join(', ')})`,
      );
    }
    backends.push(...expected);
  }

  if (readFlag(tree, 'sys/module/vfio/parameters/enable_unsafe_noiommu_mode')) backends.push('noiommu');
  return backends;
}

/** vfio_iommu_type1.allow_unsafe_interrupts: VFIO attaches without MSI isolation. */
export function readAllowUnsafeInterrupts(tree: HostTree): boolean {
  return readFlag(tree, 'sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts');
}

/**
 * POWER only: KVM-HV (bare-metal powernv) or KVM-PR (e.g. inside a pseries partition),
 * which decides whether sPAPR TCE v2 is usable (docs/domain.md#spapr-v1-fallback). Read from the loaded modules.
 */
export function readPowerKvm(tree: HostTree, arch: Arch | undefined): KvmFlavour | undefined {
  if (arch !== 'ppc64le') return undefined;
  const hv = tree.exists('sys/module/kvm_hv');
  const pr = tree.exists('sys/module/kvm_pr');
  if (hv && pr) tree.report('note', 'sys/module', 'both kvm_hv and kvm_pr are loaded; QEMU prefers HV, recorded as hv');
  if (hv) return 'hv';
  if (pr) return 'pr';
  tree.report('warning', 'sys/module', 'neither kvm_hv nor kvm_pr is loaded; guests would run under TCG');
  return 'tcg';
}

/** Module boolean parameters read "Y" or "N" (also "1"/"0" for some). */
function readFlag(tree: HostTree, file: string): boolean {
  const value = tree.readText(file)?.trim();
  return value === 'Y' || value === '1';
}
