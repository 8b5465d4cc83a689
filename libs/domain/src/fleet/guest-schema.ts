import { z } from 'zod';
import { layoutRefusal } from '../memory-map/memory-map.js';
import { ARCH_VENDORS, guestArchOf, MACHINE_FAMILY_ARCHES, parseMachineType } from './machine-type.js';
import { bits, boundedText, entityId, hexAddress, pciAddress, size } from './primitives.js';
import { ARCHES, CPU_VENDORS, DEVICE_CLASSES } from './host-schema.js';

export const VIOMMU_MODELS = ['none', 'intel-iommu', 'amd-iommu', 'smmuv3', 'virtio-iommu', 'spapr'] as const;
export const CONFIDENTIAL_KINDS = ['none', 'sev', 'tdx', 's390-pv', 'cca', 'pef'] as const;
export const MEMORY_MAP_KINDS = ['ram', 'device-memory', 'pci-hole', 'mmio', 'reserved'] as const;
export const VIRTIO_KINDS = [
  'virtio-net',
  'virtio-blk',
  'virtio-scsi',
  'virtio-gpu',
  'virtio-rng',
  'virtio-balloon',
  'virtio-vsock',
  'virtio-fs',
  'virtio-serial',
  'virtio-input',
] as const;
export const DEVICE_KINDS = [...VIRTIO_KINDS, 'vfio', 'vdpa'] as const;
export const RESERVATION_KINDS = [...DEVICE_KINDS, 'memory'] as const;

export const machineName = boundedText(64).refine((name) => parseMachineType(name) !== undefined, {
  message:
    'must be a QEMU machine type: pc-q35-X.Y, pc-i440fx-X.Y, virt-X.Y, pseries-X.Y, s390-ccw-virtio-X.Y (or q35, pc, virt, pseries)',
});

export const memoryMapEntrySchema = z
  .strictObject({
    start: hexAddress,
    end: hexAddress,
    kind: z.enum(MEMORY_MAP_KINDS),
    label: boundedText(64).optional(),
  })
  .refine((entry) => entry.end >= entry.start, { message: 'end must not be below start', path: ['end'] });

export const guestDeviceSchema = z
  .strictObject({
    id: entityId,
    kind: z.enum(DEVICE_KINDS),
    // Unset means "the machine family's default" (docs/domain.md#virtio-machine-defaults).
    iommuPlatform: z.boolean().optional(),
    transitional: z.boolean().default(false),
    hostDevice: pciAddress.optional(),
  })
  .superRefine((device, ctx) => {
    const assigned = device.kind === 'vfio' || device.kind === 'vdpa';
    if (assigned && !device.hostDevice)
      ctx.addIssue({
        code: 'custom',
        path: ['hostDevice'],
        message: `a ${device.kind} device needs hostDevice (the host PCI address)`,
      });
    if (!assigned && device.hostDevice)
      ctx.addIssue({ code: 'custom', path: ['hostDevice'], message: `only vfio and vdpa devices take a hostDevice` });
  });

export const hotplugReservationSchema = z.strictObject({
  // Added to the fleet format: an optional id so a reservation can be removed by name.
  id: entityId.optional(),
  kind: z.enum(RESERVATION_KINDS),
  deviceClass: z.enum(DEVICE_CLASSES).optional(),
  hostDevice: pciAddress.optional(),
  size: size.optional(),
});

export const guestOsSchema = z.strictObject({
  acksAccessPlatform: z.boolean().default(true),
  xen: z.boolean().default(false),
  confidential: z.enum(CONFIDENTIAL_KINDS).default('none'),
  nestedDriversInGuest: z.boolean().default(false),
});

const RATE = /^(\d+)\s*(\/s|KiB\/s|MiB\/s|GiB\/s)$/;
export const dirtyRate = boundedText(32).regex(RATE, 'must be a rate like "5000/s" (pages per second) or "20MiB/s"');

export const migrationHintsSchema = z.strictObject({
  dirtyRate: dirtyRate.optional(),
  workingSet: size.optional(),
});

export const guestMemorySchema = z
  .strictObject({ ram: size, max: size.optional(), slots: z.int().min(0).max(256).default(0) })
  .refine((memory) => memory.ram > 0n, { message: 'must be more than 0 bytes', path: ['ram'] })
  .refine((memory) => memory.max === undefined || memory.max >= memory.ram, {
    message: 'max must not be below ram',
    path: ['max'],
  })
  // QEMU refuses to start with hot-plug slots but no room to plug into (machine_set_mem).
  .refine((memory) => memory.slots === 0 || (memory.max !== undefined && memory.max !== memory.ram), {
    message: 'slots need a max above ram (QEMU: "slots specified but no max-size")',
    path: ['slots'],
  });

/** The libvirt domain behind a guest (added to the fleet format): matched by UUID, the name is a label. */
export const guestLibvirtSchema = z.strictObject({
  uuid: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID like "8f1c…-…"')
    .transform((uuid) => uuid.toLowerCase()),
  name: z.string().min(1).max(200).optional(),
});

const guestFields = {
  id: entityId,
  host: entityId,
  libvirt: guestLibvirtSchema.optional(),
  machine: machineName,
  // Added to the fleet format: the guest's architecture, needed where the machine family has several (virt).
  arch: z.enum(ARCHES).optional(),
  cpuVendor: z.enum(CPU_VENDORS),
  memory: guestMemorySchema,
  physBits: bits(64).default(40),
  viommu: z.enum(VIOMMU_MODELS).default('none'),
  viommuAddressWidthBits: bits(64).optional(),
  memoryMap: z.array(memoryMapEntrySchema).min(1).max(4096).optional(),
  guestOs: guestOsSchema.default({
    acksAccessPlatform: true,
    xen: false,
    confidential: 'none',
    nestedDriversInGuest: false,
  }),
  devices: z.array(guestDeviceSchema).max(256).default([]),
  hotplugReservations: z.array(hotplugReservationSchema).max(256).default([]),
  migration: migrationHintsSchema.optional(),
};

/** The fields that fix the guest-physical layout (see GuestDefinition). */
export const guestDefinitionSchema = z.strictObject(guestFields).pick({
  machine: true,
  arch: true,
  cpuVendor: true,
  memory: true,
  physBits: true,
  viommu: true,
  viommuAddressWidthBits: true,
});

const guestObject = z.strictObject(guestFields);

/** Checks across fields: unique ids, a machine type of the guest's architecture, a layout QEMU would start. */
function checkGuest(guest: Omit<z.output<typeof guestObject>, 'host' | 'libvirt'>, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  guest.devices.forEach((device, index) => {
    if (seen.has(device.id))
      ctx.addIssue({ code: 'custom', path: ['devices', index, 'id'], message: `duplicate device id "${device.id}"` });
    seen.add(device.id);
  });
  const reservationIds = new Set<string>();
  guest.hotplugReservations.forEach((reservation, index) => {
    if (!reservation.id) return;
    if (reservationIds.has(reservation.id))
      ctx.addIssue({
        code: 'custom',
        path: ['hotplugReservations', index, 'id'],
        message: `duplicate reservation id "${reservation.id}"`,
      });
    reservationIds.add(reservation.id);
  });
  const machine = parseMachineType(guest.machine);
  if (!machine) return;
  const arch = guestArchOf(guest)!;
  if (!MACHINE_FAMILY_ARCHES[machine.family].includes(arch)) {
    const arches = MACHINE_FAMILY_ARCHES[machine.family].join(', ');
    ctx.addIssue({
      code: 'custom',
      path: ['arch'],
      message: `${guest.machine} is a machine type for ${arches} only, not ${arch}`,
    });
    return;
  }
  if (!ARCH_VENDORS[arch]!.includes(guest.cpuVendor)) {
    const vendors = ARCH_VENDORS[arch]!.join(' or ');
    ctx.addIssue({
      code: 'custom',
      path: ['cpuVendor'],
      message: `a ${arch} guest has ${vendors} vCPUs, not ${guest.cpuVendor}${guest.arch ? '' : ` (${guest.machine} without arch means ${arch})`}`,
    });
    return;
  }
  // A definition QEMU would refuse to start is not a guest: say so with QEMU's own reason.
  {
    const refusal = layoutRefusal(guest);
    if (refusal) ctx.addIssue({ code: 'custom', path: [refusal.field], message: refusal.message });
  }
}

export const guestSchema = guestObject.superRefine(checkGuest);

/** A guest as a hypervisor describes it (a host agent's report): without the host, which the reporter is. */
export const guestOnHostSchema = guestObject.omit({ host: true, libvirt: true }).superRefine(checkGuest);

export type Guest = z.output<typeof guestSchema>;
export type GuestInput = z.input<typeof guestSchema>;
export type GuestDevice = z.output<typeof guestDeviceSchema>;
export type HotplugReservation = z.output<typeof hotplugReservationSchema>;
export type GuestOs = z.output<typeof guestOsSchema>;
export type GuestMemory = z.output<typeof guestMemorySchema>;
export type MemoryMapEntry = z.output<typeof memoryMapEntrySchema>;
export type MigrationHints = z.output<typeof migrationHintsSchema>;
export type GuestLibvirt = z.output<typeof guestLibvirtSchema>;
export type DeviceKind = (typeof DEVICE_KINDS)[number];
