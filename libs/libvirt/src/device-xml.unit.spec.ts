import { describe, expect, it } from 'vitest';
import { deviceXml } from './device-xml.js';

describe('device XML for attach-device', () => {
  it('assigns a host PCI device through VFIO by its address', () => {
    const xml = deviceXml({ kind: 'vfio', hostAddress: '0000:3b:00.1', alias: 'nic0' });
    expect(xml).toContain("<driver name='vfio'/>");
    expect(xml).toContain("<address domain='0x0000' bus='0x3b' slot='0x00' function='0x1'/>");
    expect(xml).toContain("<alias name='ua-nic0'/>");
  });

  it("puts virtio DMA behind the vIOMMU only when asked (driver iommu='on')", () => {
    expect(deviceXml({ kind: 'virtio', model: 'virtio-net', iommuPlatform: true })).toContain("<driver iommu='on'/>");
    expect(deviceXml({ kind: 'virtio', model: 'virtio-net', iommuPlatform: false })).not.toContain('iommu');
  });

  it('refuses a malformed host address and a model it cannot express', () => {
    expect(() => deviceXml({ kind: 'vfio', hostAddress: '3b:00.1' })).toThrow(/dddd:bb:ss.f/);
    expect(() => deviceXml({ kind: 'virtio', model: 'virtio-gpu', iommuPlatform: false })).toThrow(/virtio-gpu/);
  });
});
