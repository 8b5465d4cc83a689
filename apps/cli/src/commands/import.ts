// ferry import host | guest: fleet-file entries from this machine's /sys and /proc, or from
// `virsh dumpxml` output. Runs locally (no API); the YAML goes to stdout, problems to stderr.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { EXIT, need, str, UsageError, type Command, type Ctx } from '../cli.js';
import { readInput } from './apply.js';

interface Problem {
  severity: string;
  file?: string;
  path?: string;
  line?: number;
  message: string;
}

const CPU_VENDORS = ['intel', 'amd', 'arm', 'ibm'];

const importHost: Command = {
  name: 'import host',
  usage: '[--root DIR] [--id ID] [--pool POOL]',
  summary: "print this host's facts (IOMMU groups, reserved regions, devices) as a fleet file",
  help: `Reads /sys and /proc under --root (default /: this machine; or a copy of another host's tree).
The output can be applied as it is:  ferry import host --pool rack-7 | ferry apply -f -
Problems go to stderr. Exit 1 when the facts would not pass the fleet schema (the YAML is still printed).`,
  options: { root: { type: 'string' }, id: { type: 'string' }, pool: { type: 'string' } },
  async run(ctx, values) {
    const root = str(values, 'root') ?? '/';
    if (!existsSync(root)) throw new UsageError(`--root ${root}: no such directory`);
    const { importHostFacts } = await import('@ferry/importers');
    const result = importHostFacts({ root, id: str(values, 'id'), pool: str(values, 'pool') });
    printDocument(ctx, { hosts: [result.value] });
    printProblems(ctx, result.problems);
    const lacks = missingIommu(root, result.value as { iommu?: { model?: string }; groups?: unknown[] });
    if (lacks) for (const line of lacks) ctx.err(line);
    return (await schemaProblems(ctx, 'host', result.value)) ? EXIT.failed : EXIT.ok;
  },
};

const importGuest: Command = {
  name: 'import guest',
  args: ['DOMAIN.xml'],
  usage: '--host HOST [--host-cpu-vendor intel|amd|arm|ibm]',
  summary: 'print a libvirt domain (virsh dumpxml output; "-" reads stdin) as a fleet-file guest',
  help: `--host is the host the guest runs on now. --host-cpu-vendor is needed when the domain's vCPU follows
the host's (host-passthrough, host-model, qemu64 …): the guest's memory layout depends on it.`,
  options: { host: { type: 'string' }, 'host-cpu-vendor': { type: 'string' } },
  async run(ctx, values, [file]) {
    const host = need(values, 'host', 'HOST');
    const vendor = str(values, 'host-cpu-vendor');
    if (vendor !== undefined && !CPU_VENDORS.includes(vendor))
      throw new UsageError(`--host-cpu-vendor must be one of ${CPU_VENDORS.join(', ')}`);
    const xml = await readInput(ctx, file!);
    const { importLibvirtDomain } = await import('@ferry/importers');
    const result = importLibvirtDomain(xml, { host, hostCpuVendor: vendor as 'intel' | undefined });
    if (result.value === null) {
      printProblems(ctx, result.problems);
      ctx.err(`ferry: ${file} is not a libvirt domain this importer can read`);
      return EXIT.failed;
    }
    printDocument(ctx, { guests: [result.value] });
    printProblems(ctx, result.problems);
    return (await schemaProblems(ctx, 'guest', result.value)) ? EXIT.failed : EXIT.ok;
  },
};

function printDocument(ctx: Ctx, document: unknown): void {
  if (ctx.json) ctx.out(JSON.stringify(document, null, 2));
  else ctx.io.stdout.write(stringify(document, { lineWidth: 0 }));
}

function printProblems(ctx: Ctx, problems: readonly Problem[]): void {
  for (const p of problems) {
    const where = [p.file ?? p.path, p.line !== undefined ? `line ${p.line}` : undefined].filter(Boolean).join(', ');
    const label =
      p.severity === 'error'
        ? ctx.style.red(p.severity)
        : p.severity === 'warning'
          ? ctx.style.yellow(p.severity)
          : p.severity;
    ctx.err(`${label}: ${where ? `${where}: ` : ''}${p.message}`);
  }
}

/** A clear statement when the machine cannot assign devices at all. */
function missingIommu(root: string, host: { iommu?: { model?: string }; groups?: unknown[] }): string[] | undefined {
  if ((host.groups?.length ?? 0) > 0) return undefined;
  const groupsDir = join(root, 'sys/kernel/iommu_groups');
  const units = existsSync(join(root, 'sys/class/iommu')) ? readdirSync(join(root, 'sys/class/iommu')).length : 0;
  const read = (file: string) => {
    try {
      return readFileSync(join(root, file), 'utf8');
    } catch {
      return '';
    }
  };
  const lines = [
    `ferry: ${root === '/' ? 'this machine' : `the host at ${root}`} has no IOMMU groups (${existsSync(groupsDir) ? 'sys/kernel/iommu_groups is empty' : 'no sys/kernel/iommu_groups'}${units === 0 ? ', no IOMMU units in sys/class/iommu' : ''}):`,
    '  the IOMMU is absent or disabled, so no device can be passed through with VFIO here.',
    '  The host can still be recorded (iommu.model: none); Ferry plans will block assigning or hot-plugging VFIO devices on it.',
  ];
  if (/^flags\s*:.*\bhypervisor\b/m.test(read('proc/cpuinfo'))) {
    lines.push(
      '  This is a virtual machine (cpuinfo has the "hypervisor" flag): it has IOMMU groups only if its hypervisor gives it a vIOMMU.',
    );
  } else if (!/\b(intel_iommu=on|iommu=pt|iommu\.passthrough)/.test(read('proc/cmdline'))) {
    lines.push(
      '  To enable it: turn on VT-d / AMD-Vi / SMMU in the firmware; on Intel, also boot with intel_iommu=on.',
    );
  }
  return lines;
}

/** Checks the value against the fleet schema the API applies, so `| ferry apply -f -` will not surprise. */
async function schemaProblems(ctx: Ctx, kind: 'host' | 'guest', value: unknown): Promise<boolean> {
  const { hostSchema, guestSchema } = await import('@ferry/domain');
  const result = (kind === 'host' ? hostSchema : guestSchema).safeParse(value);
  if (result.success) return false;
  ctx.err(`ferry: this ${kind} would not pass the fleet schema; fix these fields before applying:`);
  for (const issue of result.error.issues)
    ctx.err(
      `  ${kind}s[0]${issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('')}: ${issue.message}`,
    );
  if (kind === 'guest' && (value as { cpuVendor?: string }).cpuVendor === undefined)
    ctx.err("  the vCPU follows the host: give the host's vendor with --host-cpu-vendor intel|amd|arm|ibm");
  return true;
}

export const importCommands: Command[] = [importHost, importGuest];
