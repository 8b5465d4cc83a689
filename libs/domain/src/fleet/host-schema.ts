import { z } from 'zod';
import { addressRange, bits, boundedText, entityId, hexAddress, pciAddress, pciId, size } from './primitives.js';

// riscv64 and loongarch64 are added to the fleet format: QEMU's `virt` machine exists for them too.
export const ARCHES = ['x86_64', 'aarch64', 'ppc64le', 's390x', 'riscv64', 'loongarch64'] as const;
// "riscv" and "loongson" (added) stand for any vCPU of those architectures: no rule tells their vendors apart.
export const CPU_VENDORS = ['intel', 'amd', 'arm', 'ibm', 'riscv', 'loongson'] as const;
export const IOMMU_MODELS = [
  'intel-vtd',
  'amd-vi',
  'arm-smmuv3',
  'spapr-tce',
  's390-zpci',
  'virtio-iommu',
  'none',
] as const;
export const VFIO_BACKENDS = ['type1', 'type1v2', 'spapr-tce-v1', 'spapr-tce-v2', 'noiommu'] as const;
export const KVM_MODES = ['hv', 'pr', 'tcg'] as const;
export const RESERVED_REGION_TYPES = ['direct', 'direct-relaxable', 'reserved', 'msi'] as const;
export const DEVICE_CLASSES = ['network', 'storage', 'gpu', 'accelerator', 'other'] as const;

export const reservedRegionSchema = z
  .strictObject({ start: hexAddress, end: hexAddress, type: z.enum(RESERVED_REGION_TYPES) })
  .refine((region) => region.end >= region.start, { message: 'end must not be below start', path: ['end'] });

export const hostDeviceSchema = z.strictObject({
  address: pciAddress,
  vendor: pciId.optional(),
  device: pciId.optional(),
  class: z.enum(DEVICE_CLASSES).default('other'),
  driver: boundedText(64).min(1).default('none'),
  migratable: z.boolean().default(false),
  virtio: z.boolean().default(false),
  accessPlatform: z.boolean().default(false),
});

export const iommuGroupSchema = z.strictObject({
  id: z.int().min(0),
  reservedRegions: z.array(reservedRegionSchema).max(4096).default([]),
  devices: z.array(hostDeviceSchema).max(256).default([]),
});

export const hostIommuSchema = z.strictObject({
  model: z.enum(IOMMU_MODELS),
  addressWidthBits: bits(64).default(48),
  interruptRemapping: z.boolean().default(false),
  allowUnsafeInterrupts: z.boolean().default(false),
  vfioBackends: z.array(z.enum(VFIO_BACKENDS)).default([]),
  kvm: z.enum(KVM_MODES).default('hv'),
  ignoreIommuFor: z.array(pciAddress).default([]),
});

export const spaprSchema = z.strictObject({
  dma32Window: z.strictObject({ start: hexAddress, size }),
  dma64WindowAddr: hexAddress.optional(),
  pageSizes: z.array(size).default([]),
  ddw: z.boolean().default(true),
});

/**
 * How to reach the host's libvirt (added to the fleet format). Never a secret: `credential` names a
 * file or credential the connecting process reads itself (an SSH key path, a SASL auth file), since
 * hosts are events and events are readable by every viewer.
 */
export const hostLibvirtSchema = z.strictObject({
  uri: z
    .string()
    .max(500)
    .regex(
      /^(qemu|test)(\+(tcp|tls|ssh|unix|libssh|libssh2))?:\/\/[^\s]*\/(system|session|default)(\?[^\s]*)?$/,
      'must be a libvirt URI like "qemu+tcp://host.example/system" or "qemu+ssh://root@host/system"',
    )
    .refine((uri) => !/:[^/@]*@/.test(uri.replace(/^[a-z+]+:\/\//, '')), {
      message: 'must not carry a password; name a credential instead',
    }),
  credential: z
    .string()
    .max(500)
    .regex(/^[\w./@:-]+$/, 'must be a credential name or file path, never the secret itself')
    .optional(),
});

const hostFields = {
  id: entityId,
  pool: entityId.optional(),
  arch: z.enum(ARCHES),
  cpuVendor: z.enum(CPU_VENDORS),
  memory: size,
  // At most 64 characters: the kernel's own limit (utsname release). The pattern is unambiguous (after
  // the digits, the tail starts with a non-digit), so it runs in linear time whatever it is given.
  kernel: boundedText(64).regex(/^\d+\.\d+(?:[-.+~A-Za-z_][-.+~\w]*)?$/, 'must be a kernel release like "6.8.0"'),
  // Added to the fleet format: the newest QEMU machine-type version this host runs (e.g. "8.2").
  qemuVersion: boundedText(16)
    .regex(/^\d+\.\d+$/, 'must be a version like "8.2"')
    .optional(),
  // Added to the fleet format: the CPUs' physical address bits (/proc/cpuinfo "address sizes"; on
  // Arm, the KVM IPA limit). A guest with more phys-bits than its host cannot keep its layout there.
  physBits: bits(64).optional(),
  libvirt: hostLibvirtSchema.optional(),
  iommu: hostIommuSchema,
  bridgeWindows: z.array(addressRange).max(4096).default([]),
  groups: z.array(iommuGroupSchema).max(4096).default([]),
  spapr: spaprSchema.optional(),
};

function uniqueGroupsAndDevices(host: { groups: IommuGroup[] }, ctx: z.RefinementCtx): void {
  const seenGroups = new Set<number>();
  const seenDevices = new Set<string>();
  host.groups.forEach((group, g) => {
    if (seenGroups.has(group.id))
      ctx.addIssue({ code: 'custom', path: ['groups', g, 'id'], message: `duplicate IOMMU group id ${group.id}` });
    seenGroups.add(group.id);
    group.devices.forEach((device, d) => {
      if (seenDevices.has(device.address)) {
        ctx.addIssue({
          code: 'custom',
          path: ['groups', g, 'devices', d, 'address'],
          message: `PCI device ${device.address} is listed in more than one place`,
        });
      }
      seenDevices.add(device.address);
    });
  });
}

export const hostSchema = z.strictObject(hostFields).superRefine(uniqueGroupsAndDevices);

/** What a host says about itself (a host agent's report): every fact except the id and the operator's pool. */
export const hostFactsSchema = z
  .strictObject(hostFields)
  .omit({ id: true, pool: true })
  .superRefine(uniqueGroupsAndDevices);

/** The event data of HostAttributesChanged: every attribute, with no defaults to fill in. */
export const hostAttributesSchema = z.object({
  pool: hostFields.pool,
  arch: hostFields.arch,
  cpuVendor: hostFields.cpuVendor,
  memory: hostFields.memory,
  kernel: hostFields.kernel,
  qemuVersion: hostFields.qemuVersion,
  physBits: hostFields.physBits,
  libvirt: hostFields.libvirt,
});

/** A partial update (PATCH): any top-level fact except the id. */
export const hostPatchSchema = z.strictObject(hostFields).omit({ id: true }).partial();

export type Host = z.output<typeof hostSchema>;
export type HostInput = z.input<typeof hostSchema>;
export type HostPatch = z.output<typeof hostPatchSchema>;
export type IommuGroup = z.output<typeof iommuGroupSchema>;
export type ReservedRegion = z.output<typeof reservedRegionSchema>;
export type HostDevice = z.output<typeof hostDeviceSchema>;
export type HostIommu = z.output<typeof hostIommuSchema>;
export type HostLibvirt = z.output<typeof hostLibvirtSchema>;
export type Spapr = z.output<typeof spaprSchema>;
export type Arch = (typeof ARCHES)[number];
export type CpuVendor = (typeof CPU_VENDORS)[number];

/**
 * Parses a PATCH body. Only the keys the client sent count: schema defaults (e.g. `groups: []`)
 * must not fill in absent keys, or reporting one fact would erase the others.
 */
export function parseHostPatch(body: unknown): ReturnType<typeof hostPatchSchema.safeParse> {
  const result = hostPatchSchema.safeParse(body);
  if (!result.success || typeof body !== 'object' || body === null) return result;
  const sent = new Set(Object.keys(body));
  const data = Object.fromEntries(Object.entries(result.data).filter(([key]) => sent.has(key))) as HostPatch;
  return { ...result, data };
}
