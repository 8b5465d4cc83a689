// A lab of real libvirt hosts on this one machine (the recipe: one mount namespace per host with its own
// /etc/libvirt, /run/libvirt and /var/lib/libvirt/qemu, a distinct host UUID, qemu+tcp on 127.0.0.1).
// Several labs run at once (helpers and suites in parallel): every lab has its own id, directory, host
// UUIDs, TCP ports from the OS, migration port ranges and domain/kernel file names, and tears down only
// the processes it started, by pid.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildTestGuest } from '@ferry/qemu';

const run = promisify(execFile);
const IMAGES_DIR = '/var/lib/libvirt/images';
const REQUIRED_BINARIES = ['virsh', 'libvirtd', 'virtlogd', 'unshare', 'nsenter', 'qemu-system-x86_64', 'nasm'];

/** Why the lab cannot run here, or undefined when it can. Tests skip with this message. */
export function libvirtLabUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'the libvirt lab needs Linux (mount namespaces)';
  if (process.getuid?.() !== 0) return 'the libvirt lab needs root (unshare -m, mount, libvirtd)';
  const path = (process.env.PATH ?? '').split(':').concat('/usr/sbin', '/sbin');
  const missing = REQUIRED_BINARIES.filter((binary) => !path.some((dir) => existsSync(join(dir, binary))));
  if (missing.length > 0)
    return `${missing.join(', ')} not found (Debian: apt-get install libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu qemu-system-x86 nasm)`;
  return undefined;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface LabHost {
  /** e.g. `lab-3f9a1c-a`: unique across labs. */
  name: string;
  /** `qemu+tcp://127.0.0.1:<port>/system` */
  uri: string;
  hostUuid: string;
  tcpPort: number;
  migrationPorts: { min: number; max: number };
  /** The host's own directory (pid files, libvirtd.log). */
  dir: string;
  /** The host's private /etc/libvirt (install hooks under `configDir/hooks`, then restartLibvirtd()). */
  configDir: string;
  /** A sysfs/procfs fixture tree standing in for this host's /sys and /proc (for `ferry import host --root`). */
  sysfsRoot?: string;
  /** The process holding the mount namespace (`nsenter -t <pid> -m`). */
  holderPid: number;
  /** Runs `sh -c command` inside the host's mount namespace; never throws on a non-zero exit. */
  exec(command: string): Promise<ExecResult>;
  /** `virsh -c <uri> …`; throws with virsh's stderr verbatim on failure. */
  virsh(...args: string[]): Promise<string>;
  libvirtdPid(): number | undefined;
  stopLibvirtd(): Promise<void>;
  startLibvirtd(): Promise<void>;
  restartLibvirtd(): Promise<void>;
  /** QEMU processes libvirt runs on this host (from its pid files). */
  qemuPids(): number[];
}

export interface TestGuestOptions {
  /** Label; the domain is named `<name>-<lab id>` so parallel labs never collide. */
  name: string;
  uuid?: string;
  /** Dirtying parameters of the Multiboot guest (libs/qemu/guest). */
  workingSetMiB?: number;
  pagesPerSecond?: number;
  memoryMiB?: number;
  /** Start it after defining (default true). */
  start?: boolean;
}

export interface LabGuest {
  name: string;
  uuid: string;
  xml: string;
  kernelPath: string;
}

export interface Lab {
  id: string;
  dir: string;
  hosts: LabHost[];
  defineTestGuest(host: LabHost, options: TestGuestOptions): Promise<LabGuest>;
  /** Every pid this lab knows it started (namespace holders, daemons, QEMUs), for leak checks. */
  knownPids(): number[];
  teardown(): Promise<void>;
}

export interface LabOptions {
  hosts: number;
  /** Per host (by index): a fixture tree to expose as `host.sysfsRoot`. */
  sysfsRoots?: string[];
}

export async function startLab(options: LabOptions): Promise<Lab> {
  const unavailable = libvirtLabUnavailable();
  if (unavailable) throw new Error(unavailable);
  const id = randomBytes(3).toString('hex');
  const dir = join(tmpdir(), `ferry-libvirt-lab-${id}`);
  mkdirSync(dir, { recursive: true });
  mkdirSync('/run/libvirt', { recursive: true });
  const hosts: LabHost[] = [];
  const guests: LabGuest[] = [];
  const lab: Lab = {
    id,
    dir,
    hosts,
    defineTestGuest: async (host, guestOptions) => {
      const guest = await defineTestGuest(id, host, guestOptions);
      guests.push(guest);
      return guest;
    },
    knownPids: () => hosts.flatMap((h) => [h.holderPid, h.libvirtdPid(), ...h.qemuPids()]).filter(isNumber),
    teardown: () => teardownLab(dir, hosts, guests),
  };
  try {
    for (let index = 0; index < options.hosts; index++) {
      // startHost adds the host to `hosts` as soon as it has a process, so a failed start still tears down.
      await startHost(id, dir, index, options.sysfsRoots?.[index], hosts);
    }
  } catch (error) {
    if (!process.env.FERRY_LAB_KEEP) await lab.teardown();
    throw error;
  }
  return lab;
}

async function startHost(
  labId: string,
  labDir: string,
  index: number,
  sysfsRoot: string | undefined,
  hosts: LabHost[],
): Promise<LabHost> {
  const letter = String.fromCharCode(97 + index);
  const dir = join(labDir, letter);
  const configDir = join(dir, 'etc-libvirt');
  const stateDir = join(dir, 'var-lib-libvirt-qemu');
  mkdirSync(stateDir, { recursive: true });
  cpSync('/etc/libvirt', configDir, { recursive: true });
  for (const file of readdirSync(join(configDir, 'qemu'))) {
    if (file.endsWith('.xml')) rmSync(join(configDir, 'qemu', file));
  }
  rmSync(join(configDir, 'hooks'), { recursive: true, force: true });
  mkdirSync(join(configDir, 'hooks'));
  const hostUuid = randomUUID();
  const tcpPort = await freePort();
  const taken = hosts.map((h) => h.migrationPorts);
  const migrationPorts = await freePortRange(10, taken);
  appendFileSync(
    join(configDir, 'libvirtd.conf'),
    [
      `host_uuid = "${hostUuid}"`,
      'listen_tls = 0',
      'listen_tcp = 1',
      `tcp_port = "${tcpPort}"`,
      'listen_addr = "127.0.0.1"',
      'auth_tcp = "none"',
      `log_outputs = "3:file:${join(dir, 'libvirtd.log')}"`,
      '',
    ].join('\n'),
  );
  appendFileSync(
    join(configDir, 'qemu.conf'),
    [`migration_port_min = ${migrationPorts.min}`, `migration_port_max = ${migrationPorts.max}`, ''].join('\n'),
  );
  const holder = spawnNamespaceHolder(dir, configDir, stateDir);
  const holderPid = holder.pid!;
  await waitFor(
    () => existsSync(join(dir, 'namespace-ready')),
    10_000,
    () => {
      kill(holderPid, 'SIGKILL');
      return `mount namespace for host ${letter} did not come up (unshare -m, mount)`;
    },
  );

  const nsenter = (args: string[]) => run('nsenter', ['-t', String(holderPid), '-m', '--', ...args]);
  const uri = `qemu+tcp://127.0.0.1:${tcpPort}/system`;
  const pidOf = (file: string) => readPid(join(dir, file));
  const virsh = async (...args: string[]) => {
    try {
      return (await run('virsh', ['-q', '-c', uri, ...args], { timeout: 120_000 })).stdout;
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error((e.stderr ?? '').trim() || e.message);
    }
  };
  const startLibvirtd = async () => {
    rmSync(join(dir, 'libvirtd.pid'), { force: true });
    await nsenter(['libvirtd', '-d', '--listen', '-p', join(dir, 'libvirtd.pid')]);
    await waitForAsync(
      async () => {
        const pid = pidOf('libvirtd.pid');
        if (pid !== undefined && !alive(pid))
          throw new Error(`libvirtd for ${letter} exited: ${lastErrors(join(dir, 'libvirtd.log'))}`);
        return run('virsh', ['-c', uri, 'uri']).then(
          () => true,
          () => false,
        );
      },
      60_000,
      () => `libvirtd for ${letter} did not answer on ${uri}: ${lastErrors(join(dir, 'libvirtd.log'))}`,
    );
  };
  const stopLibvirtd = async () => {
    const pid = pidOf('libvirtd.pid');
    if (pid === undefined || !alive(pid)) return;
    process.kill(pid, 'SIGTERM');
    await waitFor(
      () => !alive(pid),
      30_000,
      () => `libvirtd ${pid} did not exit`,
    );
  };

  const host: LabHost = {
    name: `lab-${labId}-${letter}`,
    uri,
    hostUuid,
    tcpPort,
    migrationPorts,
    dir,
    configDir,
    sysfsRoot,
    holderPid,
    exec: async (command) => {
      try {
        const { stdout, stderr } = await nsenter(['sh', '-c', command]);
        return { stdout, stderr, code: 0 };
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string; code?: number };
        return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : 1 };
      }
    },
    virsh,
    libvirtdPid: () => pidOf('libvirtd.pid'),
    stopLibvirtd,
    startLibvirtd,
    restartLibvirtd: async () => {
      await stopLibvirtd();
      await startLibvirtd();
    },
    // /proc/<holder>/root is the namespace's view of the file system: its private /run/libvirt.
    qemuPids: () => {
      const runDir = `/proc/${holderPid}/root/run/libvirt/qemu`;
      if (!existsSync(runDir)) return [];
      return (
        readdirSync(runDir)
          // driver.pid is libvirtd's own lock file, the rest are one per running domain.
          .filter((f) => f.endsWith('.pid') && f !== 'driver.pid')
          .map((f) => readPid(join(runDir, f)))
          .filter(isNumber)
          .filter(alive)
      );
    },
  };
  hosts.push(host);
  await nsenter(['virtlogd', '-d', '-p', join(dir, 'virtlogd.pid')]);
  await startLibvirtd();
  return host;
}

function spawnNamespaceHolder(dir: string, configDir: string, stateDir: string): ChildProcess {
  const script = [
    'set -e',
    'mount --make-rprivate /',
    `mount --bind '${configDir}' /etc/libvirt`,
    'mount -t tmpfs tmpfs /run/libvirt',
    `mount --bind '${stateDir}' /var/lib/libvirt/qemu`,
    `touch '${join(dir, 'namespace-ready')}'`,
    'exec sleep infinity',
  ].join('\n');
  const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { stdio: 'ignore' });
  child.unref();
  return child;
}

async function defineTestGuest(labId: string, host: LabHost, options: TestGuestOptions): Promise<LabGuest> {
  const name = `${options.name}-${labId}`;
  const uuid = options.uuid ?? randomUUID();
  const kernelPath = join(IMAGES_DIR, `ferry-lab-${name}.bin`);
  mkdirSync(IMAGES_DIR, { recursive: true });
  copyFileSync(await buildTestGuest(), kernelPath);
  // libvirt runs QEMU as libvirt-qemu, which must read the kernel.
  chmodSync(kernelPath, 0o644);
  const xml = testGuestXml({
    name,
    uuid,
    kernelPath,
    memoryMiB: options.memoryMiB ?? 256,
    cmdline: `ws=${options.workingSetMiB ?? 64} rate=${options.pagesPerSecond ?? 2000}`,
  });
  const file = join(tmpdir(), `ferry-lab-${name}.xml`);
  writeFileSync(file, xml);
  try {
    await host.virsh('define', file);
  } finally {
    rmSync(file, { force: true });
  }
  if (options.start ?? true) await host.virsh('start', name);
  return { name, uuid, xml, kernelPath };
}

/** A q35 TCG domain with no disk booting the Multiboot dirtying guest, two root ports free for hot-plug. */
export function testGuestXml(guest: {
  name: string;
  uuid: string;
  kernelPath: string;
  memoryMiB: number;
  cmdline: string;
}): string {
  return `<domain type='qemu'>
  <name>${guest.name}</name>
  <uuid>${guest.uuid}</uuid>
  <memory unit='MiB'>${guest.memoryMiB}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <kernel>${guest.kernelPath}</kernel>
    <cmdline>${guest.cmdline}</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'/>
    <controller type='pci' index='2' model='pcie-root-port'/>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}

async function teardownLab(dir: string, hosts: LabHost[], guests: LabGuest[]): Promise<void> {
  const names = new Set(guests.map((g) => g.name));
  for (const host of hosts) {
    const qemus = new Set([...host.qemuPids(), ...qemuPidsByGuestName(names)]);
    for (const pid of qemus) kill(pid, 'SIGKILL');
    for (const file of ['libvirtd.pid', 'virtlogd.pid']) {
      const pid = readPid(join(host.dir, file));
      if (pid !== undefined) kill(pid, 'SIGKILL');
    }
    kill(host.holderPid, 'SIGKILL');
    await waitFor(
      () => ![...qemus, host.holderPid].some(alive),
      10_000,
      () => `lab ${host.name} left processes`,
    );
  }
  for (const guest of guests) {
    rmSync(guest.kernelPath, { force: true });
    rmSync(`/var/log/libvirt/qemu/${guest.name}.log`, { force: true });
  }
  rmSync(dir, { recursive: true, force: true });
}

/** QEMUs whose `-name guest=<name>` is one of this lab's domains (a migrated guest, a lost pid file). */
function qemuPidsByGuestName(names: Set<string>): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!args[0]?.includes('qemu-system')) continue;
    const guestArg = args[args.indexOf('-name') + 1] ?? '';
    const name = /guest=([^,]+)/.exec(guestArg)?.[1];
    if (name && names.has(name)) pids.push(Number(entry));
  }
  return pids;
}

/** A TCP port the OS says is free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** `count` consecutive free ports below the kernel's ephemeral range, disjoint from `taken`. */
async function freePortRange(count: number, taken: Array<{ min: number; max: number }>) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const min = 20_000 + Math.floor(Math.random() * 12_000);
    const max = min + count - 1;
    if (taken.some((t) => min <= t.max && t.min <= max)) continue;
    const free = await Promise.all(Array.from({ length: count }, (_, i) => portIsFree(min + i)));
    if (free.every(Boolean)) return { min, max };
  }
  throw new Error('no free migration port range found');
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function lastErrors(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes(' error : '))
      .slice(-3)
      .join('\n');
  } catch {
    return `(no ${logFile})`;
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is dead for our purposes (its parent has not reaped it yet).
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function isNumber(value: number | undefined): value is number {
  return value !== undefined;
}

async function waitFor(condition: () => boolean, timeoutMs: number, message: () => string): Promise<void> {
  await waitForAsync(async () => condition(), timeoutMs, message);
}

async function waitForAsync(condition: () => Promise<boolean>, timeoutMs: number, message: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
