// ferry hosts [ls|show ID], ferry guests [ls|show ID]: what the fleet looks like now.
import { EXIT, printJson, str, type Command, type Ctx, type Values } from '../cli.js';
import { bytes, fields, size, table, type Cell } from '../format.js';
import type { Schemas } from '../api-types.js';

type Host = Schemas['HostView'];

/** Every page of a list endpoint, as one `{items, total}` document. */
async function listAll<T>(
  page: (offset: number) => Promise<{ body: { items: T[]; total: number } }>,
): Promise<{ items: T[]; total: number }> {
  const items: T[] = [];
  for (let offset = 0; ; offset += 1000) {
    const { body } = await page(offset);
    items.push(...body.items);
    if (body.items.length < 1000 || items.length >= body.total) return { items, total: body.total };
  }
}

const print = (ctx: Ctx, lines: string[]) => lines.forEach((line) => ctx.out(line));
const range = (r: { start: string; end: string }) => `${r.start}–${r.end}`;

function hostState(h: Host): string {
  if (h.decommissioned) return 'decommissioned';
  if (h.reachable === false) return `unreachable${h.unreachableReason ? ` (${h.unreachableReason})` : ''}`;
  return h.cordoned ? `cordoned${h.cordonReason ? ` (${h.cordonReason})` : ''}` : 'ready';
}

const hostsLs: Command = {
  name: 'hosts ls',
  usage: '[--pool POOL] [--arch ARCH]',
  summary: 'list hosts',
  options: { pool: { type: 'string' }, arch: { type: 'string' } },
  async run(ctx, values) {
    const query = { pool: str(values, 'pool'), arch: str(values, 'arch'), limit: 1000 };
    const list = await listAll((offset) => ctx.client.call('get', '/v1/hosts', { query: { ...query, offset } }));
    if (ctx.json) return printJson(ctx, list);
    const rows = list.items.map((h): Cell[] => [
      h.id,
      h.pool,
      h.arch,
      h.cpuVendor,
      size(h.memory),
      h.kernel,
      h.iommu?.model,
      h.groups?.length ?? 0,
      (h.groups ?? []).reduce((n, g) => n + (g.devices?.length ?? 0), 0),
      hostState(h),
    ]);
    print(ctx, table(['ID', 'POOL', 'ARCH', 'CPU', 'MEMORY', 'KERNEL', 'IOMMU', 'GROUPS', 'DEVICES', 'STATE'], rows));
    return EXIT.ok;
  },
};

const hostsShow: Command = {
  name: 'hosts show',
  args: ['HOST'],
  summary: "a host's facts: IOMMU, groups, devices and reserved regions",
  async run(ctx, _values, [id]) {
    const { body: h } = await ctx.client.call('get', '/v1/hosts/{id}', { params: { id: id! } });
    if (ctx.json) return printJson(ctx, h);
    const iommu = h.iommu ?? {};
    print(
      ctx,
      fields([
        ['id', h.id],
        ['pool', h.pool],
        ['arch', `${h.arch} (${h.cpuVendor})`],
        ['memory', size(h.memory)],
        ['kernel', h.kernel],
        ['qemu', h.qemuVersion],
        [
          'iommu',
          [
            iommu.model,
            iommu.addressWidthBits && `${iommu.addressWidthBits}-bit`,
            iommu.interruptRemapping === false
              ? 'no interrupt remapping'
              : iommu.interruptRemapping && 'interrupt remapping',
            iommu.allowUnsafeInterrupts && 'unsafe interrupts allowed',
            iommu.kvm && `kvm ${iommu.kvm}`,
          ]
            .filter(Boolean)
            .join(', '),
        ],
        ['vfio backends', (iommu.vfioBackends ?? []).join(', ')],
        ['bridge windows', (h.bridgeWindows ?? []).map(range).join(', ')],
        ['state', hostState(h)],
        ['version', h.version],
      ]),
    );
    const rows: Cell[][] = [];
    for (const g of h.groups ?? []) {
      const regions = (g.reservedRegions ?? []).map((r) => `${r.type} ${range(r)}`).join(', ');
      const devices: Array<Partial<NonNullable<typeof g.devices>[number]>> = g.devices?.length ? g.devices : [{}];
      devices.forEach((d, i) =>
        rows.push([
          i === 0 ? g.id : '',
          d.address,
          d.vendor && `${String(d.vendor).replace(/^0x/, '')}:${String(d.device ?? '').replace(/^0x/, '')}`,
          d.class,
          d.driver,
          i === 0 ? regions : '',
        ]),
      );
    }
    ctx.out();
    if (rows.length) print(ctx, table(['GROUP', 'DEVICE', 'ID', 'CLASS', 'DRIVER', 'RESERVED REGIONS'], rows));
    else ctx.out('no IOMMU groups: no device on this host can be assigned with VFIO');
    return EXIT.ok;
  },
};

const guestsLs: Command = {
  name: 'guests ls',
  usage: '[--host HOST] [--machine MACHINE]',
  summary: 'list guests',
  options: { host: { type: 'string' }, machine: { type: 'string' } },
  async run(ctx, values) {
    const query = { host: str(values, 'host'), machine: str(values, 'machine'), limit: 1000 };
    const list = await listAll((offset) => ctx.client.call('get', '/v1/guests', { query: { ...query, offset } }));
    if (ctx.json) return printJson(ctx, list);
    const rows = list.items.map((g): Cell[] => [
      g.id,
      g.host,
      g.machine,
      g.cpuVendor,
      size(g.memory?.ram),
      g.viommu,
      g.devices?.length ?? 0,
      g.hotplugReservations?.length ?? 0,
    ]);
    print(ctx, table(['ID', 'HOST', 'MACHINE', 'CPU', 'RAM', 'VIOMMU', 'DEVICES', 'RESERVATIONS'], rows));
    return EXIT.ok;
  },
};

const guestsShow: Command = {
  name: 'guests show',
  args: ['GUEST'],
  summary: "a guest's definition, devices, hot-plug reservations and memory map",
  options: { 'as-of': { type: 'string' } },
  usage: '[--as-of POSITION]',
  async run(ctx, values: Values, [id]) {
    const asOf = str(values, 'as-of');
    const { body: g } = await ctx.client.call('get', '/v1/guests/{id}', {
      params: { id: id! },
      query: { asOf: asOf === undefined ? undefined : Number(asOf) },
    });
    if (ctx.json) return printJson(ctx, g);
    const os = g.guestOs ?? {};
    print(
      ctx,
      fields([
        ['id', g.id],
        ['host', g.host],
        ['machine', g.machine],
        ['cpu vendor', g.cpuVendor],
        [
          'memory',
          `${size(g.memory?.ram)}${g.memory?.max ? ` (max ${size(g.memory.max)}, ${g.memory.slots ?? 0} slots)` : ''}`,
        ],
        ['phys bits', g.physBits],
        ['viommu', g.viommu],
        [
          'guest os',
          [
            `confidential ${os.confidential ?? 'none'}`,
            os.acksAccessPlatform === false && 'does not ack ACCESS_PLATFORM',
            os.xen && 'xen',
            os.nestedDriversInGuest && 'nested drivers in guest',
          ]
            .filter(Boolean)
            .join(', '),
        ],
        ['version', g.version],
      ]),
    );
    if (g.devices?.length) {
      ctx.out();
      const policy = (d: (typeof g.devices)[number]) =>
        d.effectiveIommuPlatform
          ? `${d.effectiveIommuPlatform.value ? 'on' : 'off'} (${d.effectiveIommuPlatform.source}${d.effectiveIommuPlatform.rule ? ` ${d.effectiveIommuPlatform.rule}` : ''})`
          : '';
      print(
        ctx,
        table(
          ['DEVICE', 'KIND', 'HOST DEVICE', 'IOMMU PLATFORM'],
          g.devices.map((d): Cell[] => [d.id, d.kind, d.hostDevice, policy(d)]),
        ),
      );
    }
    if (g.hotplugReservations?.length) {
      ctx.out();
      print(
        ctx,
        table(
          ['RESERVATION', 'KIND', 'CLASS', 'HOST DEVICE', 'SIZE'],
          g.hotplugReservations.map((r): Cell[] => [r.id, r.kind, r.deviceClass, r.hostDevice, r.size && size(r.size)]),
        ),
      );
    }
    if (g.memoryMap?.length) {
      ctx.out();
      ctx.out(`memory map (${g.memoryMapSource ?? 'derived'}):`);
      print(
        ctx,
        table(
          ['START', 'END', 'SIZE', 'KIND', 'LABEL'],
          g.memoryMap.map((r): Cell[] => [
            r.start,
            r.end,
            bytes(BigInt(r.end) - BigInt(r.start) + 1n),
            r.kind,
            r.label,
          ]),
        ),
      );
    }
    return EXIT.ok;
  },
};

export const fleetCommands: Command[] = [hostsLs, hostsShow, guestsLs, guestsShow];
