// Device XML for libvirt's attach-device/detach-device, from Ferry's device model. Pure.

export type LibvirtDevice =
  | {
      kind: 'vfio';
      /** Host PCI address "dddd:bb:ss.f" of the device to assign. */
      hostAddress: string;
      alias?: string;
    }
  | {
      kind: 'virtio';
      /** virtio-net, virtio-blk, virtio-scsi, virtio-rng, … (Ferry's model names). */
      model: string;
      /** driver iommu='on': the device's DMA goes through the vIOMMU (VIRTIO_F_ACCESS_PLATFORM). */
      iommuPlatform: boolean;
      alias?: string;
      /** virtio-blk: the file or block device backing it. */
      source?: string;
    };

const PCI = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i;

const escape = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');

/** libvirt user aliases must start with "ua-" to be kept as given. */
const alias = (name: string | undefined) => (name ? `\n  <alias name='ua-${escape(name)}'/>` : '');

export function deviceXml(device: LibvirtDevice): string {
  if (device.kind === 'vfio') {
    const match = PCI.exec(device.hostAddress);
    if (!match) throw new Error(`host PCI address ${JSON.stringify(device.hostAddress)} is not dddd:bb:ss.f`);
    const [, domain, bus, slot, fn] = match;
    return `<hostdev mode='subsystem' type='pci' managed='yes'>
  <driver name='vfio'/>
  <source>
    <address domain='0x${domain}' bus='0x${bus}' slot='0x${slot}' function='0x${fn}'/>
  </source>${alias(device.alias)}
</hostdev>
`;
  }
  const driver = device.iommuPlatform ? "\n  <driver iommu='on'/>" : '';
  switch (device.model) {
    case 'virtio-net':
      return `<interface type='user'>
  <model type='virtio'/>${driver}${alias(device.alias)}
</interface>
`;
    case 'virtio-rng':
      return `<rng model='virtio'>
  <backend model='random'>/dev/urandom</backend>${driver}${alias(device.alias)}
</rng>
`;
    case 'virtio-blk': {
      if (!device.source) throw new Error('a virtio-blk device needs a source file');
      return `<disk type='file' device='disk'>
  <driver name='qemu' type='raw'${device.iommuPlatform ? " iommu='on'" : ''}/>
  <source file='${escape(device.source)}'/>
  <target dev='vdz' bus='virtio'/>${alias(device.alias)}
</disk>
`;
    }
    default:
      throw new Error(`no libvirt device XML for ${device.model}`);
  }
}
