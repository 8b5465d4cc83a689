// What a hand-written or virt-install domain implies or says that the fleet format has no field for.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importLibvirtDomain } from './import-libvirt-domain.js';

const LIBVIRT = fileURLToPath(new URL('../../../../test/fixtures/libvirt/', import.meta.url));
const { value, problems, details } = importLibvirtDomain(readFileSync(`${LIBVIRT}q35-virt-install.xml`, 'utf8'));
const noteAt = (path: string, text: string) =>
  expect(problems).toContainEqual({ severity: 'note', path, message: expect.stringContaining(text) });

describe('a q35 domain as virt-install writes it', () => {
  it('records the virtio-serial controller a virtio console or channel makes libvirt add', () => {
    expect(value?.devices).toContainEqual({ id: 'serial0', kind: 'virtio-serial', transitional: false });
    noteAt('domain/devices/console[1]', 'virtio-serial');
  });

  it('keeps a NIC placed on the q35 root bus transitional, as QEMU 7.2 does (disable-legacy resolves to "off" on pcie.0)', () => {
    // qom-get /machine/peripheral/n disable-legacy: "off" with bus=pcie.0, "on" behind a pcie-root-port.
    expect(value?.devices).toContainEqual({ id: 'net0', kind: 'virtio-net', transitional: true });
    noteAt('domain/devices/interface[1]', 'root bus');
  });

  it('records ats in the details and says so', () => {
    expect(details.ats).toEqual(['net0']);
    noteAt('domain/devices/interface[1]/driver', 'ats');
  });

  it('reports hugepages and devices Ferry does not model instead of dropping them silently', () => {
    noteAt('domain/memoryBacking/hugepages', '1GiB');
    noteAt('domain/devices/sound[1]', 'virtio-sound');
  });
});

describe('a domain whose virtio-serial controller is explicit', () => {
  it('records that one only', () => {
    const xml = readFileSync(`${LIBVIRT}q35-plain.xml`, 'utf8');
    const devices = importLibvirtDomain(xml).value?.devices ?? [];
    expect(devices.filter((d) => d.kind === 'virtio-serial')).toHaveLength(1);
  });
});
