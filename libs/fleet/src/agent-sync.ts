import { z } from 'zod';
import {
  guestLibvirtSchema,
  guestOnHostSchema,
  hostFactsSchema,
  type Guest,
  type GuestCommand,
  type GuestState,
  type Host,
  type HostCommand,
  type HostState,
} from '@ferry/domain';

// What a host agent reports, and the pure decision of which commands that report implies. The agent
// sends its whole view of the host every time; only differences from the log become events, so a
// repeated report writes nothing and a report racing Ferry's own migration records nothing twice.

/** The host's facts as its sysfs/procfs importer read them: everything but the operator's choices (pool). */
export const agentHostFactsSchema = hostFactsSchema;

/** One domain running on the host: its libvirt identity and the guest its XML describes. */
export const agentDomainSchema = z.strictObject({
  libvirt: guestLibvirtSchema,
  guest: guestOnHostSchema,
});

export const agentReportSchema = z.strictObject({
  facts: agentHostFactsSchema,
  /** The domains running on this host now; domains elsewhere or shut off are not listed. */
  domains: z.array(agentDomainSchema).max(10_000),
});

export type AgentReport = z.output<typeof agentReportSchema>;
export type AgentDomain = z.output<typeof agentDomainSchema>;

export interface AgentSyncInput {
  hostId: string;
  host: HostState | undefined;
  /** Every live guest, to find each domain's guest by UUID and to keep new ids unique. */
  guests: ReadonlyMap<string, GuestState>;
  /** Guests with an unfinished Ferry migration: that migration records their placement itself. */
  migrating: ReadonlySet<string>;
  report: AgentReport;
}

export interface AgentSyncPlan {
  host: HostCommand;
  guests: { guestId: string; command: GuestCommand; isNew: boolean; placementDeferred: boolean }[];
}

export function planAgentSync(input: AgentSyncInput): AgentSyncPlan {
  const { hostId, report } = input;
  const recorded = input.host && !input.host.decommissioned ? input.host.host : undefined;
  const host: Host = {
    ...report.facts,
    id: hostId,
    pool: recorded?.pool,
    qemuVersion: report.facts.qemuVersion ?? recorded?.qemuVersion,
  };
  const hostCommand: HostCommand = recorded
    ? { type: 'ReportHostFacts', facts: withoutId(host) }
    : { type: 'RegisterHost', host };

  const byUuid = new Map<string, GuestState>();
  for (const guest of input.guests.values())
    if (!guest.removed && guest.libvirtDomain) byUuid.set(guest.libvirtDomain.uuid, guest);
  const taken = new Set(input.guests.keys());

  const guests = report.domains.map((domain) => {
    const existing = byUuid.get(domain.libvirt.uuid);
    if (!existing) {
      const guestId = freeId(domain, taken);
      taken.add(guestId);
      const guest: Guest = { ...domain.guest, id: guestId, host: hostId, libvirt: domain.libvirt };
      return { guestId, command: { type: 'ApplyGuest', guest } as GuestCommand, isNew: true, placementDeferred: false };
    }
    const deferred = existing.hostId !== hostId && input.migrating.has(existing.id);
    return {
      guestId: existing.id,
      command: {
        type: 'ApplyGuest',
        guest: merged(existing, domain, deferred ? existing.hostId! : hostId),
      } as GuestCommand,
      isNew: false,
      placementDeferred: deferred,
    };
  });
  return { host: hostCommand, guests };
}

/**
 * What the domain XML knows replaces what Ferry recorded (machine, memory, devices); what only the
 * operator knows stays: hot-plug reservations, workload hints, the guest OS's behaviour, an explicit
 * memory map (the XML cannot show the layout QEMU built).
 */
function merged(existing: GuestState, domain: AgentDomain, host: string): Guest {
  return {
    ...domain.guest,
    id: existing.id,
    host,
    guestOs: existing.guestOs,
    hotplugReservations: existing.hotplugReservations,
    ...(existing.migration ? { migration: existing.migration } : { migration: undefined }),
    memoryMap: existing.memoryMapSource === 'explicit' ? existing.memoryMap : undefined,
    libvirt: domain.libvirt,
  };
}

/** The importer's id (the normalised domain name) if free, else that name made unique by the UUID. */
function freeId(domain: AgentDomain, taken: ReadonlySet<string>): string {
  const wanted = domain.guest.id;
  if (!taken.has(wanted)) return wanted;
  return `${wanted.slice(0, 54)}-${domain.libvirt.uuid.slice(0, 8)}`;
}

function withoutId({ id: _id, ...facts }: Host) {
  return facts;
}
