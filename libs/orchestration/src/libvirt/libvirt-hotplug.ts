// Hot-plug through libvirt: Ferry's device model as libvirt device XML, attached live (and to the
// persistent definition, so it survives a restart and travels with a migration). A refusal keeps
// libvirt's and QEMU's words verbatim.
import type { GuestDevice, GuestState, HostState } from '@ferry/domain';
import { deviceXml, LibvirtError, type LibvirtDevice } from '@ferry/libvirt';
import type { LibvirtBackend } from './libvirt-backend.js';

export type LibvirtHotplugOutcome =
  { ok: true; xml: string } | { ok: false; reason: string; libvirtError: string | null };

export function libvirtDeviceOf(device: GuestDevice, iommuPlatform: boolean): LibvirtDevice {
  if (device.kind === 'vfio') return { kind: 'vfio', hostAddress: device.hostDevice!, alias: device.id };
  if (device.kind === 'vdpa')
    throw new Error('vDPA hot-plug through libvirt needs the vhost-vdpa device path, which Ferry does not record');
  return { kind: 'virtio', model: device.kind, iommuPlatform, alias: device.id };
}

export async function attachThroughLibvirt(
  libvirt: LibvirtBackend,
  host: HostState,
  guest: GuestState,
  device: GuestDevice,
  iommuPlatform: boolean,
): Promise<LibvirtHotplugOutcome> {
  const uri = host.host.libvirt?.uri;
  const uuid = guest.libvirtDomain?.uuid;
  if (!uri)
    return { ok: false, reason: `host ${host.host.id} has no libvirt URI (hosts[].libvirt)`, libvirtError: null };
  if (!uuid) return { ok: false, reason: `guest ${guest.id} is not mapped to a libvirt domain`, libvirtError: null };
  let xml: string;
  try {
    xml = deviceXml(libvirtDeviceOf(device, iommuPlatform));
  } catch (error) {
    return { ok: false, reason: (error as Error).message, libvirtError: null };
  }
  try {
    await libvirt.connection(uri).attachDevice(uuid, xml, { persistent: true });
    return { ok: true, xml };
  } catch (error) {
    if (!(error instanceof LibvirtError)) throw error;
    return { ok: false, reason: `attach-device refused on ${host.host.id}`, libvirtError: error.message };
  }
}
