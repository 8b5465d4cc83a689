// POWER sPAPR: advertised ≠ usable, DMA windows, page sizes (docs/domain.md#spapr-v1-fallback, #spapr-windows).
import { describe, expect, it } from 'vitest';
import { planMigration } from '../../index.js';
import { codesOf, conflict, fleetOf, group, guest, host, nic } from '../../test-support/fleet-fixtures.js';

type Spapr = {
  dma32Window: { start: string; size: string };
  dma64WindowAddr?: string;
  pageSizes?: string[];
  ddw?: boolean;
};
const POWER8_SPAPR: Spapr = {
  dma32Window: { start: '0x0', size: '1GiB' },
  dma64WindowAddr: '0x800000000000000',
  pageSizes: ['4KiB', '64KiB', '16MiB'],
  ddw: true,
};

const power = (id: string, kvm: 'hv' | 'pr', spapr: Partial<Spapr> = {}, backends = ['spapr-tce-v1', 'spapr-tce-v2']) =>
  host({
    id,
    arch: 'ppc64le',
    cpuVendor: 'ibm',
    iommu: { model: 'spapr-tce', vfioBackends: backends as never, kvm, interruptRemapping: false },
    spapr: { ...POWER8_SPAPR, ...spapr },
    groups: [group(1, [nic('0000:01:00.0')], [])],
  });
const pseries = (ram: string, machine = 'pseries-8.2') =>
  guest({
    id: 'vm',
    host: 'src',
    machine,
    cpuVendor: 'ibm',
    memory: { ram },
    hotplugReservations: [{ kind: 'vfio', deviceClass: 'network' }],
  });
const migrate = (destination: ReturnType<typeof host>, vm = pseries('4GiB')) =>
  planMigration(fleetOf([power('src', 'hv'), destination], [vm]), 'vm', destination.host.id);

describe('SPAPR_V2_FALLBACK_V1', () => {
  it('warns that a KVM-PR host advertising v2 really gives v1', () => {
    expect(conflict(migrate(power('dst', 'pr')), 'SPAPR_V2_FALLBACK_V1')?.evidence).toMatchObject({
      effective: 'spapr-tce-v1',
      ddw: false,
    });
  });

  it('is silent on a KVM-HV host', () => {
    expect(codesOf(migrate(power('dst', 'hv')))).not.toContain('SPAPR_V2_FALLBACK_V1');
  });
});

describe('SPAPR_WINDOW_TOO_SMALL', () => {
  it('fires when guest RAM exceeds the 32-bit window and DDW is unusable', () => {
    const found = conflict(migrate(power('dst', 'pr'), pseries('4GiB')), 'SPAPR_WINDOW_TOO_SMALL');
    expect(found?.evidence).toMatchObject({
      hostDma32Window: { start: '0x0', end: '0x3fffffff', size: '1GiB' },
      guestMaxMemory: '4GiB',
    });
  });

  it('is silent when guest RAM is exactly the window size', () => {
    expect(codesOf(migrate(power('dst', 'pr'), pseries('1GiB')))).not.toContain('SPAPR_WINDOW_TOO_SMALL');
  });

  it('is silent with v2 and DDW, which map all RAM through the 64-bit window', () => {
    expect(codesOf(migrate(power('dst', 'hv'), pseries('64GiB')))).not.toContain('SPAPR_WINDOW_TOO_SMALL');
  });

  it("fires on v1 when the host window cannot hold QEMU's default 1 GiB guest window", () => {
    const small = power('dst', 'hv', { dma32Window: { start: '0x0', size: '512MiB' } }, ['spapr-tce-v1']);
    const found = conflict(migrate(small, pseries('256MiB')), 'SPAPR_WINDOW_TOO_SMALL');
    expect(found?.evidence).toMatchObject({ guestDma32Window: { start: '0x0', end: '0x3fffffff' } });
  });
});

describe('SPAPR_PAGESIZE_UNSUPPORTED', () => {
  it('fires when the host has no IOMMU page size small enough for 4 KiB TCEs', () => {
    const found = conflict(
      migrate(power('dst', 'hv', { pageSizes: ['64KiB', '16MiB'] })),
      'SPAPR_PAGESIZE_UNSUPPORTED',
    );
    expect(found?.evidence).toMatchObject({ unbacked: ['4KiB'], hostMask: '0x1010000' });
  });

  it('is silent when every requested size can be backed (2 MiB by 64 KiB pages, as QEMU does)', () => {
    expect(codesOf(migrate(power('dst', 'hv', { pageSizes: ['4KiB', '64KiB', '16MiB'] })))).not.toContain(
      'SPAPR_PAGESIZE_UNSUPPORTED',
    );
  });
});

describe('SPAPR_DMA64_ADDR_MISMATCH', () => {
  it('fires when the host places its 64-bit window elsewhere', () => {
    const found = conflict(
      migrate(power('dst', 'hv', { dma64WindowAddr: '0x1000000000000000' })),
      'SPAPR_DMA64_ADDR_MISMATCH',
    );
    expect(found?.evidence).toMatchObject({
      guestDma64WindowAddr: '0x800000000000000',
      hostDma64WindowAddr: '0x1000000000000000',
    });
  });

  it("is silent when it matches QEMU's dma64_win_addr", () => {
    expect(codesOf(migrate(power('dst', 'hv', { dma64WindowAddr: '0x800000000000000' })))).not.toContain(
      'SPAPR_DMA64_ADDR_MISMATCH',
    );
  });

  it('is silent without DDW, where no 64-bit window is created', () => {
    expect(codesOf(migrate(power('dst', 'pr', { dma64WindowAddr: '0x1000000000000000' })))).not.toContain(
      'SPAPR_DMA64_ADDR_MISMATCH',
    );
  });
});

it('VFIO_BACKEND_UNAVAILABLE on POWER needs an sPAPR backend, not type1', () => {
  expect(codesOf(migrate(power('dst', 'hv', {}, ['type1'])))).toContain('VFIO_BACKEND_UNAVAILABLE');
  expect(codesOf(migrate(power('dst', 'hv', {}, ['spapr-tce-v1'])))).not.toContain('VFIO_BACKEND_UNAVAILABLE');
});
