// ferry plan migrate | hotplug, ferry destinations: dry runs. Exit 2 when the plan is blocked.
import { EXIT, need, printJson, str, UsageError, type Command, type Ctx, type Values } from '../cli.js';
import { conflictLines, severityCounts, size, table, verdict, type Cell, type Conflict } from '../format.js';
import type { Schemas } from '../api-types.js';

/** What printPlan needs of a plan (a blocked migration's 409 carries the same two). */
interface Plan {
  verdict: Schemas['Plan']['verdict'];
  conflicts: Conflict[];
}

/** The verdict line, then every conflict with its remedy. */
export function printPlan(ctx: Ctx, title: string, plan: Plan): number {
  ctx.out(`${title}: ${verdict(ctx.style, plan.verdict)} (${severityCounts(plan.conflicts)})`);
  if (plan.conflicts.length) {
    ctx.out();
    for (const line of conflictLines(ctx.style, plan.conflicts, ctx.io.tty ? ctx.io.columns : undefined)) ctx.out(line);
  }
  return plan.verdict === 'blocked' ? EXIT.blocked : EXIT.ok;
}

const planMigrate: Command = {
  name: 'plan migrate',
  args: ['GUEST'],
  usage: '--to HOST [--postcopy]',
  summary: 'check a live migration without doing it (exit 2 when blocked)',
  options: { to: { type: 'string' }, postcopy: { type: 'boolean' } },
  async run(ctx, values, [guestId]) {
    const destinationHostId = need(values, 'to', 'HOST');
    const { body } = await ctx.client.call('post', '/v1/plans/migration', {
      json: { guestId: guestId!, destinationHostId, options: { postcopy: values.postcopy === true } },
    });
    if (ctx.json) return printJson(ctx, body, body.verdict === 'blocked' ? EXIT.blocked : EXIT.ok);
    return printPlan(ctx, `migrate ${guestId} → ${destinationHostId}`, body);
  },
};

const DEVICE_KEYS: Record<string, string> = {
  id: 'id',
  kind: 'kind',
  hostdevice: 'hostDevice',
  'host-device': 'hostDevice',
  deviceclass: 'deviceClass',
  'device-class': 'deviceClass',
  class: 'deviceClass',
  iommuplatform: 'iommuPlatform',
  'iommu-platform': 'iommuPlatform',
  transitional: 'transitional',
};
const BOOLEAN_KEYS = ['iommuPlatform', 'transitional'];

/** "kind=vfio,hostDevice=0000:81:00.0" (or --kind/--host-device/…) → the plan's device object. */
export function parseDevice(values: Values): Record<string, string | boolean> {
  const device: Record<string, string | boolean> = {};
  const set = (rawKey: string, raw: string) => {
    const key = DEVICE_KEYS[rawKey.toLowerCase()];
    if (!key)
      throw new UsageError(
        `unknown device field "${rawKey}" (use kind, hostDevice, deviceClass, iommuPlatform, transitional, id)`,
      );
    if (!BOOLEAN_KEYS.includes(key)) device[key] = raw;
    else if (/^(true|on|yes)$/i.test(raw)) device[key] = true;
    else if (/^(false|off|no)$/i.test(raw)) device[key] = false;
    else throw new UsageError(`device field ${key} must be true or false, not "${raw}"`);
  };
  const spec = str(values, 'device');
  for (const part of spec ? spec.split(',').filter(Boolean) : []) {
    const eq = part.indexOf('=');
    if (eq <= 0)
      throw new UsageError(
        `--device takes key=value pairs separated by commas, like kind=vfio,hostDevice=0000:81:00.0`,
      );
    set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  for (const flag of ['kind', 'host-device', 'device-class', 'device-id']) {
    const value = str(values, flag);
    if (value !== undefined) set(flag === 'device-id' ? 'id' : flag, value);
  }
  if (values['iommu-platform'] === true) device.iommuPlatform = true;
  if (values['no-iommu-platform'] === true) device.iommuPlatform = false;
  if (values.transitional === true) device.transitional = true;
  if (device.kind === undefined) throw new UsageError('missing the device kind: --device kind=vfio,… or --kind vfio');
  return device;
}

const planHotplug: Command = {
  name: 'plan hotplug',
  args: ['GUEST'],
  usage:
    '--device kind=vfio,hostDevice=0000:81:00.0 | --kind KIND [--host-device PCI] [--device-class CLASS] [--iommu-platform|--no-iommu-platform] [--transitional]',
  summary: 'check a device hot-plug into a guest where it runs now (exit 2 when blocked)',
  help: 'Device fields: kind (vfio, virtio-net, …), hostDevice (a PCI address), deviceClass (network, storage, gpu, accelerator, other), iommuPlatform, transitional, id.',
  options: {
    device: { type: 'string' },
    kind: { type: 'string' },
    'host-device': { type: 'string' },
    'device-class': { type: 'string' },
    'device-id': { type: 'string' },
    'iommu-platform': { type: 'boolean' },
    'no-iommu-platform': { type: 'boolean' },
    transitional: { type: 'boolean' },
  },
  async run(ctx, values, [guestId]) {
    const device = parseDevice(values);
    // Built from free text: the server validates each field and names the one at fault.
    const json = { guestId: guestId!, device: device as Schemas['PlanHotplugRequest']['device'] };
    const { body } = await ctx.client.call('post', '/v1/plans/hotplug', { json });
    if (ctx.json) return printJson(ctx, body, body.verdict === 'blocked' ? EXIT.blocked : EXIT.ok);
    const what = [device.kind, device.hostDevice ?? device.deviceClass].filter(Boolean).join(' ');
    return printPlan(ctx, `hot-plug ${what} into ${guestId}`, body);
  },
};

const destinations: Command = {
  name: 'destinations',
  args: ['GUEST'],
  usage: '[--postcopy]',
  summary: 'rank the hosts a guest could migrate to (exit 2 when none is usable)',
  options: { postcopy: { type: 'boolean' } },
  async run(ctx, values, [guestId]) {
    const { body } = await ctx.client.call('get', '/v1/guests/{id}/destinations', {
      params: { id: guestId! },
      query: { postcopy: values.postcopy === true ? 'true' : undefined },
    });
    const usable = body.destinations.some((d) => d.verdict !== 'blocked');
    if (ctx.json) return printJson(ctx, body, usable ? EXIT.ok : EXIT.blocked);
    const rows = body.destinations.map((d): Cell[] => [
      d.rank,
      d.host.id,
      d.pool,
      verdict(ctx.style, d.verdict),
      size(d.freeMemory),
      [...new Set(d.conflicts.map((c) => c.code))].join(', '),
    ]);
    if (rows.length)
      for (const line of table(['RANK', 'HOST', 'POOL', 'VERDICT', 'FREE MEMORY', 'CONFLICTS'], rows)) ctx.out(line);
    else ctx.out(`no candidate hosts for ${guestId}`);
    if (body.excluded.length) {
      ctx.out();
      for (const line of table(
        ['EXCLUDED', 'REASON'],
        body.excluded.map((e) => [e.host.id, e.reason]),
      ))
        ctx.out(line);
    }
    if (body.destinations.some((d) => d.conflicts.length))
      ctx.out(ctx.style.dim(`\nDetails: ferry plan migrate ${guestId} --to HOST`));
    if (!usable) ctx.err(`ferry: no usable destination for ${guestId}`);
    return usable ? EXIT.ok : EXIT.blocked;
  },
};

export const planCommands: Command[] = [planMigrate, planHotplug, destinations];
