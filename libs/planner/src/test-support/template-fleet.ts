// A fleet built the way real ones are: hosts are copies of a few hardware models (each with several
// kernels and QEMU versions in service), guests are instances of templates. Memory sizes, pools,
// cordons, placement and the PCI functions guests hold differ per host and guest, so free memory and
// group occupancy differ everywhere while the static facts repeat. The models and templates come from
// randomHost/randomGuest, so every rule still has a chance to fire. Tests and the planner bench share it.
import type { GuestState, HostState, MachineDefault } from '@ferry/domain';
import { randomGenerator, randomGuest, randomHost } from './random-fleet.js';

export interface TemplateFleetSize {
  hosts: number;
  guests: number;
  /** Hardware models (each also varies by kernel and QEMU version). */
  models: number;
  templates: number;
  pools?: number;
}

const GiB = 1n << 30n;
const KERNELS = ['6.8.0', '6.1.0', '5.15.0', '5.3.18'];
const QEMUS = ['8.2', '9.1'];

export function templateFleet(seed: number, size: TemplateFleetSize) {
  const r = randomGenerator(seed);
  const models = Array.from({ length: size.models }, (_, i) => randomHost(r, `model-${i}`));
  const hosts: HostState[] = [];
  for (let i = 0; i < size.hosts; i++) {
    const model = r.pick(models);
    hosts.push({
      host: {
        ...model.host,
        id: `host-${String(i).padStart(5, '0')}`,
        pool: `pool-${i % (size.pools ?? 50)}`,
        memory: BigInt(r.pick([256, 384, 512, 768, 1024])) * GiB,
        kernel: r.pick(KERNELS),
        qemuVersion: r.pick(QEMUS),
      },
      cordoned: r.chance(0.02) ? { reason: 'maintenance' } : null,
      decommissioned: false,
    });
  }
  const byArch = new Map<string, HostState[]>();
  for (const h of hosts) byArch.set(h.host.arch, [...(byArch.get(h.host.arch) ?? []), h]);
  const templates = Array.from({ length: size.templates }, (_, i) => randomGuest(r, `tpl-${i}`, r.pick(models), []));

  const held = new Map<string, Set<string>>();
  const guests: GuestState[] = [];
  for (let i = 0; i < size.guests; i++) {
    const template = r.pick(templates);
    const arch = models.find((m) => m.host.id === template.hostId)!.host.arch;
    const on = r.pick(byArch.get(arch) ?? hosts);
    // A template's passthrough device becomes the first free PCI function of the host it lands on.
    const taken = held.get(on.host.id) ?? new Set<string>();
    const devices = template.devices.flatMap((device) => {
      if (device.kind !== 'vfio' && device.kind !== 'vdpa') return [device];
      const free = on.host.groups.flatMap((g) => g.devices).find((d) => !taken.has(d.address));
      if (!free) return [];
      taken.add(free.address);
      return [{ ...device, hostDevice: free.address }];
    });
    held.set(on.host.id, taken);
    guests.push({ ...template, id: `vm-${String(i).padStart(6, '0')}`, hostId: on.host.id, devices });
  }
  const machineDefaults: MachineDefault[] = [{ machine: 'pc-q35-*', virtioIommuPlatform: true }];
  return { hosts, guests, machineDefaults };
}
