// The fleet file contract (docs/fleet-format.md): addresses are hex strings parsed into exact bigints,
// sizes take binary units or byte counts, and every rejection names the field it is about.
import { describe, expect, it } from 'vitest';
import { ARCHES, fleetFileSchema, hostSchema, parseHexAddress, parseSize, RESERVED_REGION_TYPES } from '@ferry/domain';

const host = (overrides: Record<string, unknown> = {}) => ({
  id: 'host-a',
  arch: 'x86_64',
  cpuVendor: 'amd',
  memory: '512GiB',
  kernel: '6.8.0',
  iommu: { model: 'amd-vi', addressWidthBits: 48, interruptRemapping: true, vfioBackends: ['type1v2'] },
  groups: [
    {
      id: 12,
      reservedRegions: [
        { start: '0xfee00000', end: '0xfeefffff', type: 'msi' },
        { start: '0xfd00000000', end: '0xffffffffff', type: 'reserved' },
      ],
      devices: [{ address: '0000:81:00.0', class: 'network', driver: 'vfio-pci' }],
    },
  ],
  ...overrides,
});

const guest = (overrides: Record<string, unknown> = {}) => ({
  id: 'vm-1',
  host: 'host-a',
  machine: 'pc-q35-7.2',
  cpuVendor: 'amd',
  memory: { ram: '16GiB', max: '64GiB', slots: 4 },
  devices: [
    { id: 'net0', kind: 'virtio-net', iommuPlatform: true },
    { id: 'hba0', kind: 'vfio', hostDevice: '0000:81:00.0' },
  ],
  ...overrides,
});

/** Parses a fleet file and returns its issues (empty when it is valid). */
function problems(fleet: unknown) {
  const result = fleetFileSchema.safeParse(fleet);
  return result.success ? [] : result.error.issues;
}

function parsed(fleet: unknown) {
  const result = fleetFileSchema.safeParse(fleet);
  if (!result.success) throw new Error(`expected a valid fleet, got ${JSON.stringify(result.error.issues)}`);
  return result.data;
}

const REGION_START = ['hosts', 0, 'groups', 0, 'reservedRegions', 0, 'start'];

describe('the fleet schema', () => {
  it('accepts the baseline fleet used by every case below', () => {
    expect(problems({ hosts: [host()], guests: [guest()] })).toEqual([]);
  });

  describe('rejects addresses that are not 64-bit hex, naming the field', () => {
    it.each([
      { name: '2^64 ("0x10000000000000000")', start: '0x10000000000000000' },
      { name: 'a non-hex digit ("0xfeeg0000")', start: '0xfeeg0000' },
      { name: 'a decimal string ("4276092928")', start: '4276092928' },
      { name: 'a bare "0x"', start: '0x' },
      { name: 'a JavaScript number (loses bits above 2^53)', start: 4276092928 },
    ])('$name', ({ start }) => {
      const fleet = {
        hosts: [
          host({ groups: [{ id: 12, reservedRegions: [{ start, end: '0xffffffffffffffff', type: 'reserved' }] }] }),
        ],
      };
      const issues = problems(fleet);
      expect(issues).toHaveLength(1);
      expect(issues[0]!.path).toEqual(REGION_START);
    });
  });

  it('rejects a range whose end is below its start, on the end field', () => {
    const fleet = {
      hosts: [
        host({ groups: [{ id: 12, reservedRegions: [{ start: '0xfef00000', end: '0xfee00000', type: 'msi' }] }] }),
      ],
    };
    const issues = problems(fleet);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toEqual(['hosts', 0, 'groups', 0, 'reservedRegions', 0, 'end']);
  });

  it('rejects an end below start in a host-bridge window too', () => {
    const issues = problems({ hosts: [host({ bridgeWindows: [{ start: '0x50000000', end: '0x4fffffff' }] })] });
    expect(issues.map((i) => i.path)).toEqual([['hosts', 0, 'bridgeWindows', 0, 'end']]);
  });

  it.each([
    {
      field: 'arch',
      value: 'mips64',
      path: ['hosts', 0, 'arch'],
      allowed: ARCHES,
      fleet: () => ({ hosts: [host({ arch: 'mips64' })] }),
    },
    {
      // The kernel prints SW_MSI as "msi"; there is no "sw-msi" string (docs/domain.md#reserved-regions-file).
      field: 'reserved region type',
      value: 'sw-msi',
      path: ['hosts', 0, 'groups', 0, 'reservedRegions', 0, 'type'],
      allowed: RESERVED_REGION_TYPES,
      fleet: () => ({
        hosts: [
          host({ groups: [{ id: 1, reservedRegions: [{ start: '0x8000000', end: '0x80fffff', type: 'sw-msi' }] }] }),
        ],
      }),
    },
  ])('rejects an unknown $field ("$value") and lists the allowed values', ({ path, allowed, fleet }) => {
    const issues = problems(fleet());
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toEqual(path);
    for (const value of allowed) expect(issues[0]!.message).toContain(value);
  });

  it('rejects duplicate host ids, pointing at the second one', () => {
    const issues = problems({ hosts: [host(), host({ groups: [] }), host({ id: 'host-b', groups: [] })] });
    expect(issues.map((i) => i.path)).toEqual([['hosts', 1, 'id']]);
    expect(issues[0]!.message).toContain('host-a');
  });

  it('rejects duplicate device ids within a guest', () => {
    const devices = [
      { id: 'net0', kind: 'virtio-net' },
      { id: 'net0', kind: 'virtio-blk' },
    ];
    const issues = problems({ guests: [guest({ devices })] });
    expect(issues.map((i) => i.path)).toEqual([['guests', 0, 'devices', 1, 'id']]);
  });

  it('allows the same device id in two different guests', () => {
    expect(problems({ guests: [guest(), guest({ id: 'vm-2' })] })).toEqual([]);
  });

  it('rejects a vfio device without hostDevice', () => {
    const issues = problems({ guests: [guest({ devices: [{ id: 'hba0', kind: 'vfio' }] })] });
    expect(issues.map((i) => i.path)).toEqual([['guests', 0, 'devices', 0, 'hostDevice']]);
  });

  it.each([
    { where: 'the top level', fleet: () => ({ hosts: [], colour: 'blue' }), path: [] },
    { where: 'a host', fleet: () => ({ hosts: [host({ rack: 7 })] }), path: ['hosts', 0] },
    {
      where: "a host's iommu",
      fleet: () => ({ hosts: [host({ iommu: { model: 'amd-vi', awBits: 48 } })] }),
      path: ['hosts', 0, 'iommu'],
    },
    {
      where: 'a reserved region',
      fleet: () => ({
        hosts: [
          host({
            groups: [{ id: 1, reservedRegions: [{ start: '0x0', end: '0xfff', type: 'direct', size: '4KiB' }] }],
          }),
        ],
      }),
      path: ['hosts', 0, 'groups', 0, 'reservedRegions', 0],
    },
    { where: 'a guest', fleet: () => ({ guests: [guest({ ram: '16GiB' })] }), path: ['guests', 0] },
    {
      where: "a guest's device",
      fleet: () => ({ guests: [guest({ devices: [{ id: 'n', kind: 'virtio-net', iommu: true }] })] }),
      path: ['guests', 0, 'devices', 0],
    },
  ])('rejects unknown fields in $where (strict objects)', ({ fleet, path }) => {
    const issues = problems(fleet());
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'unrecognized_keys', path });
  });

  it.each([
    { where: 'the top level', json: `{"hosts":[],"__proto__":{"polluted":true}}`, path: [] },
    {
      where: 'a host',
      json: `{"hosts":[{"__proto__":{"polluted":true},${JSON.stringify(host()).slice(1)}]}`,
      path: ['hosts', 0],
    },
    {
      where: 'a guest',
      json: `{"guests":[{"__proto__":{"polluted":true},${JSON.stringify(guest()).slice(1)}]}`,
      path: ['guests', 0],
    },
  ])('rejects a "__proto__" key in $where and pollutes nothing', ({ json, path }) => {
    const issues = problems(JSON.parse(json));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'unrecognized_keys', path, keys: ['__proto__'] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects guest memory whose max is below ram, on the max field', () => {
    const issues = problems({ guests: [guest({ memory: { ram: '16GiB', max: '8GiB', slots: 2 } })] });
    expect(issues.map((i) => i.path)).toEqual([['guests', 0, 'memory', 'max']]);
  });

  it.each([
    // QEMU machine_set_mem (hw/core/machine.c): "slots specified but no max-size".
    { name: 'slots without max', memory: { ram: '16GiB', slots: 4 } },
    // "invalid value of maxmem: memory slots were specified but maximum memory size (…) is equal to the initial memory size".
    { name: 'slots with max equal to ram', memory: { ram: '16GiB', max: '16GiB', slots: 4 } },
  ])('rejects guest memory QEMU refuses to start with: $name', ({ memory }) => {
    // Was a bug: guestMemorySchema accepted these, and deriveMemoryMap then invents a slots × 1 GiB device-memory region
    // (pc_memory_init only creates device memory when ram_size < maxram_size), which placement checks would test
    // against host reserved regions although QEMU would never start the guest.
    const issues = problems({ guests: [guest({ memory })] });
    expect(issues.map((i) => i.path[i.path.length - 1])).toContainEqual(expect.stringMatching(/^(max|slots)$/));
  });

  it('reports every problem at once, not only the first', () => {
    const issues = problems({
      hosts: [host({ arch: 'mips', memory: 'lots' })],
      guests: [guest({ devices: [{ id: 'hba0', kind: 'vfio' }] })],
    });
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining([
        ['hosts', 0, 'arch'],
        ['hosts', 0, 'memory'],
        ['guests', 0, 'devices', 0, 'hostDevice'],
      ]),
    );
  });
});

describe('sizes', () => {
  it.each([
    { input: '16GiB', bytes: 17_179_869_184n }, // 16 × 2^30
    { input: '512MiB', bytes: 536_870_912n }, // 512 × 2^20
    { input: '4KiB', bytes: 4096n },
    { input: 1048576, bytes: 1_048_576n },
    { input: '1048576', bytes: 1_048_576n },
    { input: '1TiB', bytes: 1_099_511_627_776n }, // 2^40
  ])('accepts $input as $bytes bytes', ({ input, bytes }) => {
    expect(parsed({ hosts: [host({ memory: input })] }).hosts[0]!.memory).toBe(bytes);
  });

  it.each([
    { input: '16GB', why: 'decimal units are not binary units' },
    { input: '1.5GiB', why: 'fractions' },
    { input: -1, why: 'negative counts' },
    { input: 1.5, why: 'fractional byte counts' },
    { input: 'lots', why: 'words' },
  ])('rejects $input ($why), naming the field', ({ input }) => {
    expect(problems({ hosts: [host({ memory: input })] }).map((i) => i.path)).toEqual([['hosts', 0, 'memory']]);
  });

  it('accepts sizes in guest memory, hot-plug reservations and migration hints', () => {
    const fleet = parsed({
      guests: [
        guest({
          memory: { ram: '3GiB', max: 4294967296, slots: 2 },
          hotplugReservations: [{ kind: 'memory', size: '512MiB' }],
          migration: { workingSet: '2GiB' },
        }),
      ],
    });
    const g = fleet.guests[0]!;
    expect(g.memory).toEqual({ ram: 3n << 30n, max: 4n << 30n, slots: 2 });
    expect(g.hotplugReservations[0]!.size).toBe(512n << 20n);
    expect(g.migration!.workingSet).toBe(2n << 30n);
  });
});

describe('addresses parse to exact bigints', () => {
  it.each([
    { text: '0x0', value: 0n },
    { text: '0xfee00000', value: 4_276_092_928n },
    { text: '0xfd00000000', value: 1_086_626_725_888n }, // 1012 × 2^30
    { text: '0x20000000000001', value: 9_007_199_254_740_993n }, // 2^53 + 1: a number would round it to 2^53
    { text: '0xffffffffffffffff', value: 18_446_744_073_709_551_615n }, // 2^64 − 1, the largest allowed
  ])('$text', ({ text, value }) => {
    const fleet = parsed({
      hosts: [
        host({ groups: [{ id: 1, reservedRegions: [{ start: text, end: '0xffffffffffffffff', type: 'reserved' }] }] }),
      ],
    });
    const region = fleet.hosts[0]!.groups[0]!.reservedRegions[0]!;
    expect(typeof region.start).toBe('bigint');
    expect(region.start).toBe(value);
    expect(region.end).toBe((1n << 64n) - 1n);
  });

  it('parses explicit guest memory maps to bigints', () => {
    const fleet = parsed({
      guests: [guest({ memoryMap: [{ start: '0x100000000', end: '0x47fffffff', kind: 'ram' }] })],
    });
    expect(fleet.guests[0]!.memoryMap).toEqual([{ start: 0x1_0000_0000n, end: 0x4_7fff_ffffn, kind: 'ram' }]);
  });
});

describe('free text and number text are bounded before anything else reads them', () => {
  const kernel = hostSchema.shape.kernel;
  it.each(['6.8.0', '5.15.0-rc1', '4.18.0-553.el8_10.x86_64', '6.8', '6.8rc1', '6.1.0-18-amd64', '6.8.0+', '3.10.0~1'])(
    'accepts the kernel release %s',
    (release) => expect(kernel.safeParse(release).success).toBe(true),
  );
  it.each(['6', 'abc', '6.8 0', '.6.8', `6.${'1'.repeat(70)}`, `1.${'1'.repeat(100_000)}!`])(
    'refuses the kernel release %s',
    (release) => expect(kernel.safeParse(release.slice(0, 200_000)).success).toBe(false),
  );
  it('says a long kernel release is too long, not that it does not match', () => {
    const result = kernel.safeParse(`1.${'1'.repeat(100_000)}!`);
    expect(result.error?.issues.map((i) => i.message)).toEqual(['must be at most 64 characters']);
  });
  it('refuses megabytes of digits or hex by length, quoting only a prefix', () => {
    for (const text of ['9'.repeat(1_000_000), `0x${'f'.repeat(1_000_000)}`, `${'0'.repeat(65)}`]) {
      expect(() => parseSize(text)).toThrow(/at most 64 characters/);
      expect(() => parseHexAddress(text)).toThrow(/at most 64 characters/);
      try {
        parseSize(text);
      } catch (error) {
        expect((error as Error).message.length).toBeLessThan(120);
      }
    }
    expect(parseHexAddress(`0x${'0'.repeat(46)}fee00000`)).toBe(0xfee00000n);
  });
});
