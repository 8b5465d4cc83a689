// One libvirt host, through `virsh -c <uri>`. Domains are named by UUID in every call, so a rename
// never points a command at the wrong domain.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseCapabilities,
  parseDomainStates,
  parseUuidNameList,
  type DomainStateName,
  type DomainSummary,
  type HostFacts,
} from './domains.js';
import { parseJobStats, type JobStats } from './job-stats.js';
import { migrateArguments, type MigrateOptions } from './migrate-options.js';
import { startMigrationProcess, type MigrationProcess } from './migration-process.js';
import { LibvirtError, virsh } from './virsh.js';

export class LibvirtConnection {
  private facts: HostFacts | undefined;

  constructor(
    readonly uri: string,
    private readonly options: { timeoutMs?: number } = {},
  ) {}

  private run(args: string[], input?: string): Promise<string> {
    return virsh(this.uri, args, { timeoutMs: this.options.timeoutMs, input });
  }

  /** Host UUID and architecture from `capabilities`, remembered after the first answer. */
  async hostFacts(): Promise<HostFacts> {
    this.facts ??= parseCapabilities(this.uri, await this.run(['capabilities']));
    return this.facts;
  }

  async listDomains(): Promise<DomainSummary[]> {
    const [list, stats] = await Promise.all([
      this.run(['list', '--all', '--uuid', '--name']),
      this.run(['domstats', '--state']),
    ]);
    const states = parseDomainStates(stats);
    return parseUuidNameList(list).map((d) => ({ ...d, state: states.get(d.name) ?? 'nostate' }));
  }

  async domainXml(uuid: string, options: { inactive?: boolean } = {}): Promise<string> {
    return this.run(['dumpxml', uuid, ...(options.inactive ? ['--inactive'] : [])]);
  }

  /** The domain's state here, or null when this host does not have it. */
  async domainState(uuid: string): Promise<DomainStateName | null> {
    try {
      const states = parseDomainStates(await this.run(['domstats', '--state', uuid]));
      return [...states.values()][0] ?? null;
    } catch (error) {
      if (error instanceof LibvirtError && /Domain not found|failed to get domain/.test(error.message)) return null;
      throw error;
    }
  }

  /** The domain's current job (`completed`: the last finished one, kept by libvirt for a while). */
  async jobStats(uuid: string, options: { completed?: boolean } = {}): Promise<JobStats> {
    const flags = options.completed ? ['--completed', '--anystats', '--keep-completed'] : [];
    return parseJobStats(await this.run(['domjobinfo', uuid, '--rawstats', ...flags]));
  }

  async abortJob(uuid: string): Promise<void> {
    await this.run(['domjobabort', uuid]);
  }

  async setMaxDowntime(uuid: string, downtimeMs: number): Promise<void> {
    await this.run(['migrate-setmaxdowntime', uuid, String(Math.round(downtimeMs))]);
  }

  /** libvirt takes MiB/s. */
  async setMaxBandwidth(uuid: string, bytesPerSecond: number): Promise<void> {
    await this.run(['migrate-setspeed', uuid, String(Math.max(1, Math.floor(bytesPerSecond / 2 ** 20)))]);
  }

  async startPostcopy(uuid: string): Promise<void> {
    await this.run(['migrate-postcopy', uuid]);
  }

  async attachDevice(uuid: string, deviceXml: string, options: { persistent?: boolean } = {}): Promise<void> {
    await this.withXmlFile(deviceXml, (file) =>
      this.run(['attach-device', uuid, file, '--live', ...(options.persistent ? ['--config'] : [])]),
    );
  }

  async detachDevice(uuid: string, deviceXml: string, options: { persistent?: boolean } = {}): Promise<void> {
    await this.withXmlFile(deviceXml, (file) =>
      this.run(['detach-device', uuid, file, '--live', '--wait', '30', ...(options.persistent ? ['--config'] : [])]),
    );
  }

  /** Peer-to-peer live migration, driven by this host's libvirtd; outlives the calling process. */
  migrate(uuid: string, destinationUri: string, options: MigrateOptions): MigrationProcess {
    return startMigrationProcess(this.uri, migrateArguments(uuid, destinationUri, options));
  }

  private async withXmlFile<T>(xml: string, use: (file: string) => Promise<T>): Promise<T> {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-libvirt-'));
    const file = join(dir, 'device.xml');
    writeFileSync(file, xml);
    try {
      return await use(file);
    } catch (error) {
      // virsh's own first line names our temporary file ("Failed to attach device from /tmp/…");
      // what follows is libvirt's (and QEMU's) message, which is what the caller records.
      if (!(error instanceof LibvirtError)) throw error;
      const said = error.message.split('\n').filter((line) => !line.includes(file));
      throw new LibvirtError(said.join('\n') || error.message, error.command);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
