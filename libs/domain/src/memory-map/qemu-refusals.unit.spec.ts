// Guests QEMU refuses to start because their layout does not fit the vCPU's physical address width.
// Every expected message below was printed by QEMU 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18) under TCG:
//   qemu-system-x86_64 -nodefaults -display none -S -accel tcg -machine <machine>,memory-backend=m \
//     -object memory-backend-ram,id=m,size=<ram>,reserve=off -m <ram>[,slots=…,maxmem=…] -cpu <model>,phys-bits=<n>
// and, for aarch64, qemu-system-aarch64 with -cpu cortex-a53 (a 40-bit PA range).
import { describe, expect, it } from 'vitest';
import { guestSchema, type CpuVendor, type GuestInput } from '@ferry/domain';

interface Definition {
  machine: string;
  cpuVendor: CpuVendor;
  memory: GuestInput['memory'];
  physBits?: number;
}

const issuesOf = (definition: Definition) => {
  const result = guestSchema.safeParse({ id: 'vm-1', host: 'host-a', ...definition });
  return result.success ? [] : result.error.issues.map((issue) => ({ path: issue.path, message: issue.message }));
};

describe('pc and q35: "phys-bits too low" (pc.c pc_memory_init, QEMU ≥ 7.1)', () => {
  it.each([
    {
      // The AMD vCPU moves above-4G RAM to 1 TiB; the 32 GiB hole64 then ends at 2074 GiB − 1.
      name: 'q35-7.2, EPYC, 1020 GiB, phys-bits 40',
      definition: { machine: 'pc-q35-7.2', cpuVendor: 'amd', memory: { ram: '1020GiB' }, physBits: 40 },
      qemu: 'Address space limit 0xffffffffff < 0x2067fffffff phys-bits too low (40)',
      needed: 42,
    },
    {
      // Intel: RAM stays at 4 GiB and ends at 1022 GiB; the 32 GiB hole64 still crosses 1 TiB.
      name: 'q35-7.2, Skylake, 1020 GiB, phys-bits 40',
      definition: { machine: 'pc-q35-7.2', cpuVendor: 'intel', memory: { ram: '1020GiB' }, physBits: 40 },
      qemu: 'Address space limit 0xffffffffff < 0x1077fffffff phys-bits too low (40)',
      needed: 41,
    },
    {
      // The check is the binary's, not the machine type's: pc-q35-7.0 is refused the same way.
      name: 'q35-7.0, Skylake, 1020 GiB, phys-bits 40',
      definition: { machine: 'pc-q35-7.0', cpuVendor: 'intel', memory: { ram: '1020GiB' }, physBits: 40 },
      qemu: 'Address space limit 0xffffffffff < 0x1077fffffff phys-bits too low (40)',
      needed: 41,
    },
    {
      // Device memory 4 GiB + (8 − 2) GiB + 2 × 1 GiB → hole64 at 12 GiB, 32 GiB long.
      name: 'q35-7.2, 2 GiB, slots 2, maxmem 8 GiB, phys-bits 33',
      definition: {
        machine: 'pc-q35-7.2',
        cpuVendor: 'intel',
        memory: { ram: '2GiB', max: '8GiB', slots: 2 },
        physBits: 33,
      },
      qemu: 'Address space limit 0x1ffffffff < 0xaffffffff phys-bits too low (33)',
      needed: 36,
    },
    {
      name: 'i440fx-7.2, 2 GiB, slots 2, maxmem 8 GiB, phys-bits 33 (2 GiB hole64)',
      definition: {
        machine: 'pc-i440fx-7.2',
        cpuVendor: 'intel',
        memory: { ram: '2GiB', max: '8GiB', slots: 2 },
        physBits: 33,
      },
      qemu: 'Address space limit 0x1ffffffff < 0x37fffffff phys-bits too low (33)',
      needed: 34,
    },
    {
      name: 'q35-7.2, 5 GiB, phys-bits 34',
      definition: { machine: 'pc-q35-7.2', cpuVendor: 'intel', memory: { ram: '5GiB' }, physBits: 34 },
      qemu: 'Address space limit 0x3ffffffff < 0x9bfffffff phys-bits too low (34)',
      needed: 36,
    },
  ] satisfies { name: string; definition: Definition; qemu: string; needed: number }[])(
    'refuses $name with QEMU’s reason, on physBits',
    ({ definition, qemu, needed }) => {
      const issues = issuesOf(definition);
      expect(issues).toHaveLength(1);
      expect(issues[0]!.path).toEqual(['physBits']);
      expect(issues[0]!.message).toContain(qemu);
      expect(issues[0]!.message).toContain(`physBits ≥ ${needed}`);
    },
  );

  it.each([
    // i440fx keeps 3 GiB low and a 2 GiB hole64: 1020 GiB ends at 1021 GiB, the hole at 1023 GiB − 1.
    { machine: 'pc-i440fx-7.2', cpuVendor: 'intel', memory: { ram: '1020GiB' }, physBits: 40 },
    // The same AMD guest QEMU refuses at 40 bits starts at 42.
    { machine: 'pc-q35-7.2', cpuVendor: 'amd', memory: { ram: '1020GiB' }, physBits: 42 },
    // 5 GiB on q35 needs 36 bits: hole64 [7 GiB, 39 GiB − 1].
    { machine: 'pc-q35-7.2', cpuVendor: 'intel', memory: { ram: '5GiB' }, physBits: 36 },
    // phys-bits ≤ 32: pc_max_used_gpa() returns the CPU's own limit (no hole64 on 32-bit CPUs), so QEMU starts.
    { machine: 'pc-q35-7.2', cpuVendor: 'intel', memory: { ram: '5GiB' }, physBits: 32 },
    // The schema default (40) holds an ordinary guest.
    { machine: 'pc-q35-7.2', cpuVendor: 'intel', memory: { ram: '16GiB', max: '64GiB', slots: 4 } },
  ] satisfies Definition[])('accepts what QEMU starts: %o', (definition) => {
    expect(issuesOf(definition)).toEqual([]);
  });
});

describe('aarch64 virt: memory beyond the PA range (virt.c virt_set_memmap)', () => {
  it('refuses RAM that ends past 2^physBits with QEMU’s reason, on memory', () => {
    // -m 1024G on cortex-a53: RAM [1 GiB, 1025 GiB) ends 1 GiB past 2^40.
    const issues = issuesOf({ machine: 'virt-7.2', cpuVendor: 'arm', memory: { ram: '1024GiB' }, physBits: 40 });
    expect(issues).toEqual([
      {
        path: ['memory'],
        message: expect.stringContaining('Addressing limited to 40 bits, but memory exceeds it by 1073741824 bytes'),
      },
    ]);
  });

  it('counts device memory: -m 4G,slots=4,maxmem=1020G is refused the same way', () => {
    // device memory at 5 GiB, 1016 + 4 GiB long → top 1025 GiB.
    const issues = issuesOf({
      machine: 'virt-7.2',
      cpuVendor: 'arm',
      memory: { ram: '4GiB', max: '1020GiB', slots: 4 },
      physBits: 40,
    });
    expect(issues[0]?.message).toContain('Addressing limited to 40 bits, but memory exceeds it by 1073741824 bytes');
  });

  it('accepts memory that ends exactly at 2^physBits (-m 1023G on cortex-a53 starts)', () => {
    expect(issuesOf({ machine: 'virt-7.2', cpuVendor: 'arm', memory: { ram: '1023GiB' }, physBits: 40 })).toEqual([]);
  });
});
