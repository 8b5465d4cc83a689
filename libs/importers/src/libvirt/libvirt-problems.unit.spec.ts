import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { guestSchema } from '@ferry/domain';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { importLibvirtDomain } from './import-libvirt-domain.js';

const LIBVIRT = fileURLToPath(new URL('../../../../test/fixtures/libvirt/', import.meta.url));
const read = (file: string) => readFileSync(`${LIBVIRT}${file}`, 'utf8');
const FIXTURES = readdirSync(LIBVIRT)
  .filter((file) => file.endsWith('.xml'))
  .sort();

describe('libvirt values the importer cannot interpret', () => {
  const { value: guest, problems, details } = importLibvirtDomain(read('bad-values.xml'));
  const at = (path: string) => problems.filter((p) => p.path === path);

  it('reports each one at its element path as an error', () => {
    expect(at('domain/memory')[0]).toMatchObject({
      severity: 'error',
      message: expect.stringContaining('unknown unit "KiBB"'),
    });
    expect(at('domain/currentMemory')[0]?.severity).toBe('error');
    expect(at('domain/maxMemory').map((p) => p.message)).toEqual([
      expect.stringContaining('"16G"'),
      expect.stringContaining('slots="eight"'),
    ]);
    expect(at('domain/devices/memory[1]/target/size')[0]?.message).toContain('"lots"');
    expect(at('domain/devices/memory[2]/address')[0]?.message).toContain('base="4GiB"');
    expect(at('domain/devices/disk[1]/driver')[0]?.message).toContain('iommu="yes"');
    expect(at('domain/devices/iommu[1]')[0]).toMatchObject({
      severity: 'error',
      message: expect.stringContaining('"bogus"'),
    });
    expect(at('domain/launchSecurity')[0]?.message).toContain('"quantum"');
  });

  it('reports a hostdev without an address, and one with an out-of-range bus, and keeps the good one', () => {
    expect(at('domain/devices/hostdev[1]/source/address')[0]?.message).toContain('without a source address');
    expect(at('domain/devices/hostdev[2]/source/address')[0]?.message).toContain('bus="0x1ff"');
    expect(guest?.devices?.filter((d) => d.kind === 'vfio').map((d) => d.hostDevice)).toEqual(['0000:82:00.0']);
  });

  it('leaves out what it could not read, and passes through what the schema would otherwise default to "none"', () => {
    expect(guest?.viommu).toBe('bogus'); // an unknown vIOMMU is not "none"
    expect(guest?.guestOs?.confidential).toBe('quantum');
    expect(guest?.memory?.max).toBeUndefined();
    expect(guest?.devices?.find((d) => d.id === 'vda')?.iommuPlatform).toBeUndefined();
  });

  it('still uses what was readable: boot RAM from the NUMA cell, the valid DIMM without its base', () => {
    expect(guest?.memory?.ram).toBe('4GiB');
    expect(details.memoryDevices).toEqual([{ model: 'dimm', size: '2GiB', slot: 0 }]);
    expect(guest?.cpuVendor).toBe('intel');
  });
});

describe('libvirt names that are not fleet ids', () => {
  it('cuts a long, free-form name down to a valid fleet id and keeps the name in the details', () => {
    const name = `Tenant_${'x'.repeat(60)}--(prod)`;
    const { value, details } = importLibvirtDomain(
      `<domain type='kvm'><name>${name}</name><memory>1048576</memory></domain>`,
    );
    expect(value?.id).toMatch(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/);
    expect(value?.id.startsWith('tenant-xxx')).toBe(true);
    expect(details.name).toBe(name);
  });
});

describe('libvirt documents that are not a domain', () => {
  it('reports malformed XML with its line instead of throwing', () => {
    const { value, problems } = importLibvirtDomain(read('malformed.xml'));
    expect(value).toBeNull();
    expect(problems).toEqual([
      { severity: 'error', path: '(document)', line: 10, message: expect.stringContaining('malformed XML') },
    ]);
  });

  it.each([
    ['an empty string', ''],
    ['a network definition', '<network><name>default</name></network>'],
    ['two roots', '<domain><name>a</name></domain><domain><name>b</name></domain>'],
    ['plain text', 'virsh: error: failed to get domain'],
  ])('reports %s with a null value', (_case, xml) => {
    const { value, problems } = importLibvirtDomain(xml);
    expect(value).toBeNull();
    expect(problems[0]).toMatchObject({ severity: 'error', path: '(document)' });
  });

  it('reports a non-string argument', () => {
    const { value, problems } = importLibvirtDomain(42 as unknown as string);
    expect(value).toBeNull();
    expect(problems[0].severity).toBe('error');
  });
});

describe('importLibvirtDomain never throws', () => {
  it.each(FIXTURES)('on any prefix of %s', (file) => {
    const xml = read(file);
    for (let end = 0; end <= xml.length; end += 7) {
      expect(() => importLibvirtDomain(xml.slice(0, end))).not.toThrow();
    }
  });

  it('imports a domain whose <metadata> nests deeper than the parser default', () => {
    const metadata = `${'<app:n xmlns:app="urn:x">'.repeat(150)}${'</app:n>'.repeat(150)}`;
    const xml = `<domain type='kvm'><name>deep</name><memory>1048576</memory><metadata>${metadata}</metadata></domain>`;
    expect(importLibvirtDomain(xml).value?.memory?.ram).toBe('1GiB');
  });

  it('reports, rather than throws on, element names the parser refuses', () => {
    const xml = "<domain type='kvm'><name>p</name><memory>1024</memory><metadata><__proto__/></metadata></domain>";
    const { value, problems } = importLibvirtDomain(xml);
    expect(value).toBeNull();
    expect(problems[0]).toMatchObject({ severity: 'error', path: '(document)' });
  });

  it('has at least 15 valid domain fixtures that import with a value', () => {
    const valid = FIXTURES.filter((file) => importLibvirtDomain(read(file)).value !== null);
    expect(valid.length).toBeGreaterThanOrEqual(15);
  });
});

describe('importLibvirtDomain output', () => {
  // Fixtures the fleet schema must reject, and the fields it rejects them on.
  const rejected: Record<string, string[]> = {
    'bad-values.xml': ['guestOs.confidential', 'viommu'],
    'malformed.xml': [''],
    'minimal.xml': ['machine'],
    'virt-install-two-stages.xml': [''],
  };
  const accepted = FIXTURES.filter((file) => !(file in rejected));

  it.each(accepted)('from %s is accepted by the fleet schema as is', (file) => {
    const { value } = importLibvirtDomain(read(file), { host: 'host-a', hostCpuVendor: 'intel' });
    expect(guestSchema.safeParse(value).error?.issues ?? []).toEqual([]);
  });

  it.each(Object.entries(rejected))(
    'from %s is rejected by the fleet schema only where the XML was unusable',
    (file, fields) => {
      const { value } = importLibvirtDomain(read(file), { host: 'host-a', hostCpuVendor: 'intel' });
      const issues = guestSchema.safeParse(value).error?.issues ?? [];
      expect([...new Set(issues.map((issue) => issue.path.join('.')))].sort()).toEqual(fields);
    },
  );

  it.each(FIXTURES)('from %s survives a YAML round trip unchanged', (file) => {
    const { value } = importLibvirtDomain(read(file));
    expect(parseYaml(toYaml(value))).toStrictEqual(value);
  });
});
