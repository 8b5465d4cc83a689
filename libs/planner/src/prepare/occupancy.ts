// What the guests already on a host take from it: memory (counted at maxmem, since RAM may be
// hot-plugged up to it) and assigned PCI devices (a group goes to one VM only, docs/domain.md#iommu-groups).
import type { GuestState } from '@ferry/domain';
import { prepareGuest } from './prepared-guest.js';

/** Not a valid entity id (ids cannot start with a space), so no guest is ever taken for it. */
const ANONYMOUS_HOLDER = ' another guest';

export class HostOccupancy {
  usedMemory = 0n;
  private readonly owners = new Map<string, string[]>();
  // BigInt arithmetic allocates; the matrix asks for the same host's free memory ten thousand times.
  private freeFor: { memory: bigint; free: bigint } | undefined;

  /** `memory` minus what the guests here take at maxmem. */
  freeMemory(memory: bigint): bigint {
    if (this.freeFor?.memory !== memory) this.freeFor = { memory, free: memory - this.usedMemory };
    return this.freeFor.free;
  }

  /** True when no guest here holds an assigned device. */
  get holdsNoDevices(): boolean {
    return this.owners.size === 0;
  }

  /** Guest ids holding this PCI address through a vfio or vdpa device. */
  ownersOf(address: string): readonly string[] | undefined {
    return this.owners.get(address);
  }

  /** The PCI addresses guests here hold, sorted: beside the host's facts, all its static answers depend on. */
  heldAddresses(): string[] {
    return [...this.owners.keys()].sort();
  }

  /**
   * The same addresses held by a guest that exists nowhere else (the matrix evaluates a host class for
   * every guest class at once; none of those guests may be mistaken for the holder).
   */
  static heldByOthers(addresses: readonly string[]): HostOccupancy {
    const occupancy = new HostOccupancy();
    for (const address of addresses) occupancy.owners.set(address, [ANONYMOUS_HOLDER]);
    return occupancy;
  }

  add(state: GuestState): void {
    const guest = prepareGuest(state);
    this.usedMemory += guest.maxMemory;
    this.freeFor = undefined;
    for (const device of guest.assignedDevices) {
      const address = device.hostDevice!;
      const owners = this.owners.get(address);
      if (owners) owners.push(guest.id);
      else this.owners.set(address, [guest.id]);
    }
  }

  remove(state: GuestState): void {
    const guest = prepareGuest(state);
    this.usedMemory -= guest.maxMemory;
    this.freeFor = undefined;
    for (const device of guest.assignedDevices) {
      const address = device.hostDevice!;
      const remaining = (this.owners.get(address) ?? []).filter((id) => id !== guest.id);
      if (remaining.length > 0) this.owners.set(address, remaining);
      else this.owners.delete(address);
    }
  }
}

export const isLive = (guest: GuestState) => !guest.removed && guest.hostId !== null;

/** One pass over the fleet: every host's occupancy. */
export function occupancyByHost(guests: Iterable<GuestState>): Map<string, HostOccupancy> {
  const byHost = new Map<string, HostOccupancy>();
  for (const guest of guests) {
    if (!isLive(guest)) continue;
    let occupancy = byHost.get(guest.hostId!);
    if (!occupancy) byHost.set(guest.hostId!, (occupancy = new HostOccupancy()));
    occupancy.add(guest);
  }
  return byHost;
}
