import { fleetFileSchema } from '@ferry/domain';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { importHostFacts, importLibvirtDomain } from './index.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

// The operator's workflow: import every host and guest, write one fleet file, apply it.
describe('a fleet file written from imported hosts and guests', () => {
  const hosts = ['intel-vtd-xeon', 'amd-vi-epyc', 'arm64-smmuv3-altra', 'power9-powernv'].map(
    (name) => importHostFacts({ root: `${FIXTURES}hosts/${name}` }).value,
  );
  const placements: Array<[file: string, host: number]> = [
    ['q35-intel-iommu.xml', 0],
    ['q35-sev.xml', 1],
    ['aarch64-virt-virtio-iommu.xml', 2],
    ['ppc64-pseries-hostdev.xml', 3],
  ];
  const guests = placements.map(([file, index]) => {
    const host = hosts[index];
    const xml = readFileSync(`${FIXTURES}libvirt/${file}`, 'utf8');
    return importLibvirtDomain(xml, { host: host.id, hostCpuVendor: host.cpuVendor }).value;
  });

  it('is valid YAML that the fleet schema accepts unchanged', () => {
    const yaml = toYaml({ hosts, guests });
    const parsed = fleetFileSchema.safeParse(parseYaml(yaml));

    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data?.hosts.map((host) => host.id)).toEqual(['compute-17', 'epyc-b04', 'altra-a12', 'p9-boston-03']);
    expect(parsed.data?.guests.map((guest) => [guest.id, guest.host])).toEqual([
      ['nfv-router-2', 'compute-17'],
      ['conf-vm-a', 'epyc-b04'],
      ['arm-dpdk-01', 'altra-a12'],
      ['p9-analytics', 'p9-boston-03'],
    ]);
  });

  it('keeps the addresses the planner compares exact once parsed', () => {
    const parsed = fleetFileSchema.parse(parseYaml(toYaml({ hosts, guests })));
    const amd = parsed.hosts.find((host) => host.id === 'epyc-b04')!;
    expect(amd.groups[0].reservedRegions.map((region) => [region.start, region.end])).toContainEqual([
      0xfd00000000n,
      0xffffffffffn,
    ]);
  });
});
