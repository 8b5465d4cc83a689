import { guestOnHostSchema, hostFactsSchema, type CpuVendor } from '@ferry/domain';
import { importHostFacts, importLibvirtDomain, type ImportProblem } from '@ferry/importers';

// Turns what the host and its libvirt say into the body of PUT /v1/hosts/:id/agent-report. Pure
// apart from reading the sysfs/procfs tree; what cannot be reported is returned as problems, and a
// domain that cannot be described is left out rather than failing the whole host's report.

export interface RunningDomain {
  uuid: string;
  /** `virsh dumpxml`: the name, machine, memory and devices come from it. */
  xml: string;
}

export interface BuiltReport {
  /** JSON-ready: addresses and sizes as the importers wrote them. */
  body: { facts: Record<string, unknown>; domains: { libvirt: { uuid: string; name: string }; guest: unknown }[] };
  problems: string[];
}

/** The host's facts from its sysfs/procfs tree, with how to reach its libvirt. Undefined if they are incomplete. */
export function readHostFacts(
  root: string,
  libvirt: { uri: string; credential?: string },
): { facts?: Record<string, unknown>; cpuVendor?: CpuVendor; problems: string[] } {
  const imported = importHostFacts({ root });
  const problems = imported.problems.filter((p) => p.severity === 'error').map((p) => describe(root, p));
  const { id: _id, pool: _pool, ...facts } = imported.value;
  const withLibvirt = { ...facts, libvirt };
  const checked = hostFactsSchema.safeParse(withLibvirt);
  if (!checked.success) {
    problems.push(...checked.error.issues.map((i) => `${root}: host facts: ${i.path.join('.')}: ${i.message}`));
    return { problems };
  }
  return { facts: withLibvirt, cpuVendor: checked.data.cpuVendor, problems };
}

export function buildReport(
  facts: Record<string, unknown>,
  cpuVendor: CpuVendor | undefined,
  domains: readonly RunningDomain[],
): BuiltReport {
  const problems: string[] = [];
  const reported: BuiltReport['body']['domains'] = [];
  for (const domain of domains) {
    const imported = importLibvirtDomain(domain.xml, { ...(cpuVendor ? { hostCpuVendor: cpuVendor } : {}) });
    const name = imported.details.name ?? domain.uuid;
    const label = `domain ${name} (${domain.uuid})`;
    problems.push(...imported.problems.filter((p) => p.severity === 'error').map((p) => describe(label, p)));
    if (!imported.value) continue;
    const { host: _host, ...guest } = imported.value;
    const checked = guestOnHostSchema.safeParse(guest);
    if (!checked.success) {
      problems.push(
        `${label}: not reported: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
      continue;
    }
    reported.push({ libvirt: { uuid: domain.uuid.toLowerCase(), name }, guest });
  }
  reported.sort((a, b) => (a.libvirt.uuid < b.libvirt.uuid ? -1 : 1));
  return { body: { facts, domains: reported }, problems };
}

function describe(where: string, problem: ImportProblem): string {
  const place = [problem.file, problem.path].filter(Boolean).join(' ') + (problem.line ? `:${problem.line}` : '');
  return `${where}: ${place ? `${place}: ` : ''}${problem.message}`;
}
