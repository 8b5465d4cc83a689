// Real-world domain XML the importer got wrong (architecture, hostdev interfaces, the vCPU vendor).
// Vendors under TCG are what QEMU 7.2.22 reports: `qom-get /machine/unattached/device[0] vendor` with
// -accel tcg gives qemu64 and max AuthenticAMD, qemu32 and kvm64 GenuineIntel, EPYC AuthenticAMD.
import { guestSchema } from '@ferry/domain';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CpuVendor } from '../common/fleet-shapes.js';
import { importLibvirtDomain } from './import-libvirt-domain.js';

const LIBVIRT = fileURLToPath(new URL('../../../../test/fixtures/libvirt/', import.meta.url));
const read = (file: string) => readFileSync(`${LIBVIRT}${file}`, 'utf8');

describe('the domain’s arch (riscv64, loongarch64 virt)', () => {
  it.each([
    ['riscv64-virt.xml', 'riscv64', 'riscv'],
    ['loongarch64-virt.xml', 'loongarch64', 'loongson'],
  ] as const)('%s becomes a %s guest with %s vCPUs, whatever the host vendor', (file, arch, cpuVendor) => {
    const { value, problems } = importLibvirtDomain(read(file), { host: 'host-a', hostCpuVendor: 'intel' });
    expect(value).toMatchObject({ machine: 'virt', arch, cpuVendor });
    expect(problems.filter((p) => p.severity !== 'note')).toEqual([]);
    expect(guestSchema.safeParse(value).error?.issues ?? []).toEqual([]);
  });

  it('leaves arch out for an aarch64 virt guest (the machine family already says it)', () => {
    const { value } = importLibvirtDomain(read('aarch64-virt-smmuv3.xml'));
    expect(value?.arch).toBeUndefined();
    expect(value?.cpuVendor).toBe('arm');
  });

  it('warns about an architecture the fleet format does not know, leaving the vendor out', () => {
    const xml = `<domain type='qemu'><name>m</name><memory>1048576</memory>
      <os><type arch='mips64el' machine='malta'>hvm</type></os></domain>`;
    const { value, problems } = importLibvirtDomain(xml);
    expect(value?.cpuVendor).toBeUndefined();
    expect(problems).toContainEqual(
      expect.objectContaining({
        severity: 'warning',
        path: 'domain/os/type',
        message: expect.stringContaining('mips64el'),
      }),
    );
  });
});

describe('<interface type="hostdev"> with <model type="virtio">', () => {
  it('is one VFIO device, not also a virtio-net', () => {
    const { value } = importLibvirtDomain(read('q35-hostdev-virtio-model.xml'), { hostCpuVendor: 'intel' });
    expect(value?.devices).toEqual([{ id: 'hostdev0', kind: 'vfio', hostDevice: '0000:3b:02.1' }]);
  });
});

const domain = (type: string, cpu: string, extra = '') =>
  `<domain type='${type}'><name>v</name><memory unit='GiB'>4</memory>
    <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>${cpu}${extra}</domain>`;
const vendorOf = (xml: string, hostCpuVendor?: CpuVendor) => {
  const { value, problems } = importLibvirtDomain(xml, { hostCpuVendor });
  return { vendor: value?.cpuVendor, problems };
};

describe('the vCPU vendor', () => {
  it.each([
    ['qemu64', 'amd'],
    ['max', 'amd'],
    ['qemu32', 'intel'],
    ['kvm64', 'intel'],
    ['EPYC', 'amd'],
    ['Skylake-Client', 'intel'],
  ] as const)('under TCG is QEMU’s default for the model: %s → %s, whatever the host', (model, vendor) => {
    const cpu = model === 'max' ? "<cpu mode='maximum'/>" : `<cpu mode='custom'><model>${model}</model></cpu>`;
    expect(vendorOf(domain('qemu', cpu), vendor === 'amd' ? 'intel' : 'amd').vendor).toBe(vendor);
  });

  it('under TCG without a <cpu> is qemu64’s: AuthenticAMD', () => {
    expect(vendorOf(domain('qemu', '')).vendor).toBe('amd');
  });

  it('under KVM is the host’s for every named model: EPYC on an Intel host reports GenuineIntel', () => {
    const { vendor, problems } = vendorOf(domain('kvm', "<cpu mode='custom'><model>EPYC</model></cpu>"), 'intel');
    expect(vendor).toBe('intel');
    expect(problems).toContainEqual(
      expect.objectContaining({ severity: 'note', message: expect.stringContaining('EPYC') }),
    );
  });

  it('under hvf passes the host’s vendor through', () => {
    expect(vendorOf(domain('hvf', "<cpu mode='custom'><model>Skylake-Client</model></cpu>"), 'amd').vendor).toBe('amd');
  });

  it('follows <model vendor_id> above everything, as QEMU’s vendor= property does', () => {
    const cpu = "<cpu mode='custom'><model vendor_id='AuthenticAMD'>Skylake-Client</model></cpu>";
    expect(vendorOf(domain('kvm', cpu), 'intel').vendor).toBe('amd');
    expect(vendorOf(domain('qemu', cpu)).vendor).toBe('amd');
    const odd = vendorOf(domain('qemu', "<cpu mode='custom'><model vendor_id='HygonGenuine'>EPYC</model></cpu>"));
    expect(odd.vendor).toBeUndefined();
    expect(odd.problems).toContainEqual(
      expect.objectContaining({ severity: 'warning', message: expect.stringContaining('HygonGenuine') }),
    );
  });

  it('takes AMD from SEV when the host vendor is not given, and reports a contradiction with it', () => {
    const sev = "<launchSecurity type='sev-snp'/>";
    expect(vendorOf(domain('kvm', "<cpu mode='host-passthrough'/>", sev)).vendor).toBe('amd');
    const clash = vendorOf(domain('kvm', "<cpu mode='host-passthrough'/>", sev), 'intel');
    expect(clash.problems).toContainEqual(
      expect.objectContaining({
        severity: 'error',
        path: 'domain/launchSecurity',
        message: expect.stringContaining('AMD'),
      }),
    );
  });

  it('takes Intel from TDX, and reports a vendor_id that contradicts it', () => {
    const tdx = "<launchSecurity type='tdx'/>";
    expect(vendorOf(domain('kvm', "<cpu mode='host-passthrough'/>", tdx)).vendor).toBe('intel');
    const clash = vendorOf(
      domain('kvm', "<cpu mode='custom'><model vendor_id='AuthenticAMD'>qemu64</model></cpu>", tdx),
    );
    expect(clash.problems).toContainEqual(
      expect.objectContaining({
        severity: 'error',
        path: 'domain/launchSecurity',
        message: expect.stringContaining('Intel'),
      }),
    );
  });
});

describe('aarch64 physBits: the PA range the virt layout is sized against', () => {
  const arm = (type: string, cpu: string) =>
    `<domain type='${type}'><name>a</name><memory unit='GiB'>4</memory>
      <os><type arch='aarch64' machine='virt-7.2'>hvm</type></os>${cpu}</domain>`;

  it.each([
    // QEMU 7.2 under TCG, -m 1023G: cortex-a53/a35/a76 fall back to the low ECAM (40 bits),
    // neoverse-n1 and max keep the high ECAM and MMIO above 1 TiB.
    ['cortex-a53', 40],
    ['cortex-a76', 40],
    ['cortex-a57', 44],
    ['neoverse-n1', 48],
  ] as const)('under TCG is the model’s: %s → %i', (model, bits) => {
    const { value } = importLibvirtDomain(arm('qemu', `<cpu mode='custom'><model>${model}</model></cpu>`));
    expect(value?.physBits).toBe(bits);
  });

  it('under KVM is the host’s IPA limit, which the XML does not say: left out with a warning', () => {
    const { value, problems } = importLibvirtDomain(arm('kvm', "<cpu mode='host-passthrough'/>"));
    expect(value?.physBits).toBeUndefined();
    expect(problems).toContainEqual(
      expect.objectContaining({ severity: 'warning', message: expect.stringContaining('IPA') }),
    );
  });
});
