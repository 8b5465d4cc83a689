// docs/domain.md#vfio-backend-types, #isolation: QEMU needs a real IOMMU backend for the host arch.
import type { ConflictSink } from '../../conflict/sink.js';
import type { DestinationContext } from '../context.js';

/** The backends QEMU tries for this arch, in vfio_get_iommu_type order. */
function backendsQemuUses(arch: string): readonly string[] {
  return arch === 'ppc64le' ? ['spapr-tce-v2', 'spapr-tce-v1'] : ['type1v2', 'type1'];
}

// docs/domain.md#vfio-backend-types: QEMU needs a type1 (x86, Arm, s390x) or sPAPR TCE (POWER) container backend.
export function vfioBackendUnavailable(context: DestinationContext, sink: ConflictSink): void {
  const { host } = context;
  if (!context.assignsVfio) return;
  const wanted = backendsQemuUses(host.arch);
  const advertised = host.host.iommu.vfioBackends;
  if (advertised.some((b) => wanted.includes(b))) return;
  sink.report('VFIO_BACKEND_UNAVAILABLE', 'error', () => ({
    message: `${host.id} advertises ${advertised.length > 0 ? advertised.join(', ') : 'no VFIO IOMMU backend'}; QEMU on ${host.arch} needs one of ${wanted.join(', ')} to create a container.`,
    evidence: { hostId: host.id, arch: host.arch, advertised: [...advertised], needed: [...wanted] },
    fact: 'QEMU tries TYPE1v2, TYPE1, SPAPR_TCE_v2, SPAPR_TCE (vfio_get_iommu_type); noiommu supports only CHECK_EXTENSION and cannot back a VM.',
    remedy: `Load the IOMMU driver and vfio_iommu_${host.arch === 'ppc64le' ? 'spapr_tce' : 'type1'} on ${host.id}, or choose another host.`,
  }));
}

// docs/domain.md#isolation: without per-device translation an assigned device can reach all host memory.
export function noPerDeviceIsolation(context: DestinationContext, sink: ConflictSink): void {
  const { host } = context;
  if (!context.assigns) return;
  const { model, vfioBackends } = host.host.iommu;
  const onlyNoIommu = vfioBackends.length > 0 && vfioBackends.every((b) => b === 'noiommu');
  if (model !== 'none' && !onlyNoIommu) return;
  sink.report('NO_PER_DEVICE_ISOLATION', 'corruption', () => ({
    message: `${host.id} has ${model === 'none' ? 'no IOMMU' : 'only the noiommu VFIO backend'}: an assigned device would DMA to any host address, with nothing isolating it from the host or other guests.`,
    evidence: { hostId: host.id, iommuModel: model, vfioBackends: [...vfioBackends] },
    fact: 'Safe assignment to an untrusted guest needs per-device translation/isolation; VFIO_NOIOMMU_IOMMU gives none and taints the kernel.',
    remedy: `Assign devices only on hosts with an enabled IOMMU (intel_iommu=on, amd_iommu, SMMU); keep this guest's devices off ${host.id}.`,
  }));
}
