// The guest's vCPUs keep their phys-bits across a migration, and its layout (the 64-bit PCI hole
// QEMU placed against them, pc.c pc_memory_init) with them. KVM backs guest-physical addresses
// with the host's page tables: a destination whose CPUs have fewer physical address bits (or, on
// Arm, a smaller IPA limit, kvm_arm_get_max_vm_ipa_size) cannot hold what the guest may address.
import { highestAddress, toHex } from '@ferry/domain';
import type { ConflictSink } from '../../conflict/sink.js';
import type { DestinationContext } from '../context.js';

export function physBitsExceedHost(context: DestinationContext, sink: ConflictSink): void {
  const { guest, host } = context;
  const hostBits = host.host.physBits;
  const guestBits = guest.state.definition.physBits;
  if (hostBits === undefined || guest.arch !== host.arch || guestBits <= hostBits) return;
  sink.report('PHYS_BITS_EXCEED_HOST', 'error', () => ({
    message: `The guest's vCPUs have ${guestBits} physical address bits; ${host.id}'s CPUs have ${hostBits}: the guest may address memory and PCI BARs the host cannot map.`,
    evidence: {
      guestId: guest.id,
      hostId: host.id,
      guestPhysBits: guestBits,
      hostPhysBits: hostBits,
      highestGuestAddress: toHex(highestAddress(guest.state.memoryMap)),
    },
    fact: 'phys-bits is part of the vCPU model and migrates with it; KVM maps guest-physical addresses through the host MMU, which stops at the host CPU’s physical address width.',
    remedy: `Choose a destination whose CPUs have at least ${guestBits} physical address bits.`,
  }));
}
