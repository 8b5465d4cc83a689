// Files that are not one QEMU/KVM domain: virt-install's two-stage output, other hypervisors' domains.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importLibvirtDomain } from './import-libvirt-domain.js';

const LIBVIRT = fileURLToPath(new URL('../../../../test/fixtures/libvirt/', import.meta.url));

describe('a file with two <domain> documents (virt-install --print-xml)', () => {
  const { value, problems } = importLibvirtDomain(readFileSync(`${LIBVIRT}virt-install-two-stages.xml`, 'utf8'));

  it('says what the file is and what to import instead', () => {
    expect(value).toBeNull();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ severity: 'error', path: '(document)' });
    expect(problems[0]!.message).toContain('2 <domain> documents for "web-02"');
    expect(problems[0]!.message).toContain('virt-install');
    expect(problems[0]!.message).toContain('virsh dumpxml web-02');
  });
});

describe('domains of other hypervisors', () => {
  it.each([
    ['xen', 'Xen (libxl)'],
    ['lxc', 'a Linux container (libvirt LXC)'],
    ['test', "libvirt's test driver"],
    ['bhyve', 'bhyve (FreeBSD)'],
    ['vz', 'Virtuozzo'],
  ])('<domain type="%s"> is refused as %s, not a QEMU guest', (type, what) => {
    const xml = `<domain type='${type}'><name>d</name><memory>1048576</memory>
      <os><type arch='x86_64'>hvm</type></os></domain>`;
    const { value, problems } = importLibvirtDomain(xml);
    expect(value).toBeNull();
    expect(problems).toEqual([
      {
        severity: 'error',
        path: 'domain',
        message: expect.stringMatching(new RegExp(`type='${type}'.*${what.replace(/[()]/g, '\\$&')}.*QEMU`)),
      },
    ]);
  });

  it.each(['kvm', 'qemu', 'hvf'])('<domain type="%s"> is a QEMU guest and imports', (type) => {
    const xml = `<domain type='${type}'><name>d</name><memory>1048576</memory>
      <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os></domain>`;
    expect(importLibvirtDomain(xml).value).not.toBeNull();
  });
});
