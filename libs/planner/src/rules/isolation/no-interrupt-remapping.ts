// docs/domain.md#vfio-iova-ranges (attach step 5), #msi-x86: type1 requires MSI isolation (interrupt remapping) unless allow_unsafe_interrupts.
import type { ConflictSink } from '../../conflict/sink.js';
import type { DestinationContext } from '../context.js';

export function noInterruptRemapping(context: DestinationContext, sink: ConflictSink): void {
  const { host } = context;
  // sPAPR isolates per PE and does not go through this type1 check.
  if (!context.assigns || host.arch === 'ppc64le' || host.host.iommu.interruptRemapping) return;
  const unsafeAllowed = host.host.iommu.allowUnsafeInterrupts;
  sink.report('NO_INTERRUPT_REMAPPING', unsafeAllowed ? 'corruption' : 'error', () => ({
    message: unsafeAllowed
      ? `${host.id} has no interrupt remapping but allows unsafe interrupts: the device attaches, but it can inject arbitrary interrupts into the host (MSI isolation lost).`
      : `${host.id} has no interrupt remapping: the group attach fails with -EPERM ("No interrupt remapping support. Use the module param \\"allow_unsafe_interrupts\\"…").`,
    evidence: {
      hostId: host.id,
      interruptRemapping: false,
      allowUnsafeInterrupts: unsafeAllowed,
      iommuModel: host.host.iommu.model,
    },
    fact: 'vfio_iommu_type1_attach_group requires MSI isolation (interrupt remapping / isolated MSI) unless vfio_iommu_type1.allow_unsafe_interrupts=1.',
    remedy:
      'Choose a host with interrupt remapping enabled (intel_iommu/amd_iommu with IR, GICv3 ITS with isolated MSI); do not rely on allow_unsafe_interrupts for untrusted guests.',
  }));
}
