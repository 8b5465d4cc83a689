// The `ferry` CLI as operators run it: a child process talking to a real server (issue 7, part 3).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appBackend, type TestBackend } from './support/backends.js';
import { startApp, type RunningApp, TEST_ADMIN_TOKEN } from './support/app.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const ANSI_OR_CR = /\x1b\[|\r/;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source, as `ferry` would run from dist. Async: the server lives in this process. */
function ferry(args: string[], options: { url?: string; stdin?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--conditions=ferry-source', '--import', 'tsx', 'apps/cli/src/main.ts', ...args],
      {
        cwd: repo,
        env: { ...process.env, FERRY_URL: options.url ?? '', NO_COLOR: '1', FERRY_TOKEN: TEST_ADMIN_TOKEN },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(options.stdin ?? '');
  });
}

describe('ferry CLI against a running server', () => {
  let backend: TestBackend;
  let api: RunningApp;
  let scratch: string;
  const run = (...args: string[]) => ferry(args, { url: api.url });

  beforeAll(async () => {
    backend = appBackend();
    api = await startApp(backend);
    scratch = mkdtempSync(join(tmpdir(), 'ferry-cli-'));
  });
  afterAll(async () => {
    await api.close();
    await backend.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('applies the aarch64 example and lists what it recorded', async () => {
    const applied = await run('apply', '-f', 'examples/fleet-arm-migrate-then-hotplug.yaml');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/guest\s+vm-1\s+GuestDefined/);
    expect(applied.stdout).toMatch(/4 changed, 0 unchanged, 8 events written/);
    const again = await run('apply', '-f', 'examples/fleet-arm-migrate-then-hotplug.yaml');
    expect(again.stdout).toMatch(/0 changed, 4 unchanged, 0 events written/);

    const hosts = await run('hosts');
    expect(hosts.code).toBe(0);
    expect(hosts.stdout.split('\n')[0]).toMatch(/^ID\s+POOL\s+ARCH/);
    expect(hosts.stdout).toMatch(/host-b\s+rack-7\s+aarch64\s+arm\s+512 GiB/);
    const hostB = await run('hosts', 'show', 'host-b');
    expect(hostB.stdout).toContain('msi 0x202110000–0x20211ffff');
    const vm = await run('guests', 'show', 'vm-1');
    expect(vm.stdout).toMatch(/0x40000000\s+0x43fffffff\s+16 GiB\s+ram/);
    expect(`${hosts.stdout}${hostB.stdout}${vm.stdout}`).not.toMatch(ANSI_OR_CR);
  });

  it('plan migrate to host-b shows the MSI overlap with its remedy and exits 2', async () => {
    const plan = await run('plan', 'migrate', 'vm-1', '--to', 'host-b');
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/^migrate vm-1 → host-b: BLOCKED \(1 error\)/);
    expect(plan.stdout).toMatch(/error\s+MSI_WINDOW_OVERLAPS_GUEST_RAM/);
    expect(plan.stdout).toMatch(/remedy: Choose a destination without an MSI region/);

    const json = await run('plan', 'migrate', 'vm-1', '--to', 'host-b', '--json');
    expect(json.code).toBe(2);
    const answer = JSON.parse(json.stdout);
    expect(answer.verdict).toBe('blocked');
    expect(answer.conflicts[0].evidence.region).toEqual({ start: '0x202110000', end: '0x20211ffff', type: 'msi' });

    const destinations = await run('destinations', 'vm-1');
    expect(destinations.code).toBe(2); // host-b is the only candidate, and it is blocked
    expect(destinations.stdout).toMatch(/1\s+host-b\s+rack-7\s+BLOCKED\s+512 GiB\s+MSI_WINDOW_OVERLAPS_GUEST_RAM/);
  });

  it('plan migrate to a clean host exits 0; plan hotplug takes --device or separate flags', async () => {
    // host-c: like host-a, only the SMMU's software MSI window, below guest RAM. Applied from stdin.
    const hostC = `hosts:
  - id: host-c
    pool: rack-7
    arch: aarch64
    cpuVendor: arm
    memory: 512GiB
    kernel: "6.8.0"
    iommu: { model: arm-smmuv3, addressWidthBits: 48, interruptRemapping: true, vfioBackends: [type1v2] }
    groups:
      - id: 3
        reservedRegions: [{ start: 0x08000000, end: 0x080fffff, type: msi }]
        devices: [{ address: "0000:41:00.0", class: network, driver: vfio-pci, migratable: true }]
`;
    expect((await ferry(['apply', '-f', '-'], { url: api.url, stdin: hostC })).code).toBe(0);
    const plan = await run('plan', 'migrate', 'vm-1', '--to', 'host-c');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/^migrate vm-1 → host-c: OK \(no conflicts\)/);
    expect((await run('destinations', 'vm-1')).stdout).toMatch(/1\s+host-c\s+rack-7\s+OK/);

    const byDevice = await run('plan', 'hotplug', 'vm-1', '--device', 'kind=vfio,hostDevice=0000:81:00.0', '--json');
    const byFlags = await run('plan', 'hotplug', 'vm-1', '--kind', 'vfio', '--host-device', '0000:81:00.0', '--json');
    expect(byDevice.code).toBe(byFlags.code);
    expect(JSON.parse(byDevice.stdout).conflicts).toEqual(JSON.parse(byFlags.stdout).conflicts);
    expect(JSON.parse(byDevice.stdout).conflicts.map((c: { code: string }) => c.code)).not.toContain(
      'MSI_WINDOW_OVERLAPS_GUEST_RAM',
    );
  });

  it('usage errors exit 64 with a usage line; API errors exit 1 with their field problems', async () => {
    const bad = join(scratch, 'bad.yaml');
    writeFileSync(
      bad,
      'hosts:\n  - { id: host-x, arch: sparc, cpuVendor: arm, memory: 1GiB, kernel: "6.8", iommu: { model: none } }\n',
    );
    const [noTo, unknown, badFlag, badDevice, help, topHelp, missing, rejected, down] = await Promise.all([
      run('plan', 'migrate', 'vm-1'),
      run('frobnicate'),
      run('hosts', 'ls', '--bogus'),
      run('plan', 'hotplug', 'vm-1', '--device', 'colour=red'),
      run('plan', 'migrate', '--help'),
      run('--help'),
      run('guests', 'show', 'no-such-vm'),
      run('apply', '-f', bad),
      ferry(['hosts'], { url: 'http://127.0.0.1:9' }),
    ]);
    expect(noTo.code).toBe(64);
    expect(noTo.stderr).toContain('missing --to HOST');
    expect(noTo.stderr).toContain('usage: ferry plan migrate GUEST --to HOST');
    expect([unknown.code, badFlag.code, badDevice.code]).toEqual([64, 64, 64]);
    expect(badFlag.stderr).toContain("Unknown option '--bogus'");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: ferry plan migrate GUEST --to HOST/);
    expect(topHelp.stdout).toContain('Exit codes: 0 ok, 1 failed');

    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('guest "no-such-vm" does not exist (404');
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/\n {2}hosts\[0\]\.arch: /);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach the Ferry API at http://127.0.0.1:9');
  });

  it('import host turns a host tree into YAML that apply accepts', async () => {
    const imported = await run(
      'import',
      'host',
      '--root',
      'test/fixtures/hosts/arm64-smmuv3-altra',
      '--id',
      'altra',
      '--pool',
      'rack-7',
    );
    expect(imported.code).toBe(0);
    const file = parseYaml(imported.stdout);
    expect(file.hosts[0]).toMatchObject({
      id: 'altra',
      pool: 'rack-7',
      arch: 'aarch64',
      iommu: { model: 'arm-smmuv3' },
    });
    expect(imported.stderr).toContain('assuming 48 bits');
    const applied = await ferry(['apply', '-f', '-'], { url: api.url, stdin: imported.stdout });
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/host\s+altra\s+HostRegistered/);
    // The altra's PCIe windows overlap vm-1's RAM: a warning, not a block.
    const plan = await run('plan', 'migrate', 'vm-1', '--to', 'altra');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/WARNINGS[\s\S]*BRIDGE_WINDOW_OVERLAPS_GUEST_RAM/);
  });

  it('import host on this machine prints a valid host file or says what the machine lacks', async () => {
    const here = await run('import', 'host', '--id', 'this-machine');
    expect([0, 1]).toContain(here.code);
    const host = parseYaml(here.stdout).hosts[0];
    expect(host.id).toBe('this-machine');
    if (host.groups.length === 0) expect(here.stderr).toContain('this machine has no IOMMU groups');
    if (here.code === 0) expect((await ferry(['apply', '-f', '-'], { url: api.url, stdin: here.stdout })).code).toBe(0);
    else expect(here.stderr).toContain('would not pass the fleet schema');
  });

  it('import guest reads a libvirt domain; apply accepts it with its imported host', async () => {
    const [host, imported, noHost, malformed, passthrough] = await Promise.all([
      run('import', 'host', '--root', 'test/fixtures/hosts/intel-vtd-xeon', '--id', 'xeon'),
      run('import', 'guest', 'test/fixtures/libvirt/q35-plain.xml', '--host', 'xeon'),
      run('import', 'guest', 'test/fixtures/libvirt/q35-plain.xml'),
      run('import', 'guest', 'test/fixtures/libvirt/malformed.xml', '--host', 'xeon'),
      run('import', 'guest', 'test/fixtures/libvirt/host-passthrough.xml', '--host', 'xeon'),
    ]);
    expect(imported.code).toBe(0);
    expect(parseYaml(imported.stdout).guests[0]).toMatchObject({
      id: 'web-01',
      host: 'xeon',
      machine: 'pc-q35-7.2',
      memory: { ram: '8GiB' },
    });
    const applied = await ferry(['apply', '-f', '-'], { url: api.url, stdin: host.stdout + imported.stdout });
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/guest\s+web-01\s+GuestDefined/);
    expect(noHost.code).toBe(64); // --host is required
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('malformed XML');
    expect(passthrough.code).toBe(1);
    expect(passthrough.stderr).toContain('--host-cpu-vendor');
  });

  it('events lists the log; --json is one document', async () => {
    const events = await run('events', '--limit', '3');
    expect(events.code).toBe(0);
    expect(events.stdout.trim().split('\n')).toHaveLength(4);
    // Position 1 is the test app's admin token; the example's first event follows it.
    expect(events.stdout).toMatch(/1\s+\S+\s+token-name-admin-from-env\s+TokenCreated/);
    expect(events.stdout).toMatch(/2\s+\S+\s+machine-defaults\s+MachineDefaultsSet\s+token:[0-9a-f-]{36}/);
    const json = JSON.parse((await run('events', '--after', '1', '--limit', '2', '--json')).stdout);
    expect(json.events.map((e: { position: number }) => e.position)).toEqual([2, 3]);
    expect(json.next).toBe(3);
  });

  it('migrate to a blocked destination is refused with the conflicts and exits 2', async () => {
    const blocked = await run('migrate', 'vm-1', '--to', 'host-b');
    expect(blocked.code).toBe(2);
    expect(blocked.stdout).toMatch(/BLOCKED[\s\S]*MSI_WINDOW_OVERLAPS_GUEST_RAM/);
    const json = await run('migrate', 'vm-1', '--to', 'host-b', '--json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error).toBe('migration_blocked');
  });

  it('migrate --watch follows the migration to completion with one progress line per event', async () => {
    const watched = await run('migrate', 'vm-1', '--to', 'host-c', '--watch');
    expect(watched.stderr).toBe('');
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/^migration \S+: vm-1 → host-c/);
    expect(watched.stdout).toMatch(/\nprogress +\d+%  [\d.]+ \w+\/[\d.]+ \w+ sent/);
    expect(watched.stdout).toMatch(/\ncompleted in [\d.]+ m?s: downtime/);
    expect(watched.stdout).not.toMatch(ANSI_OR_CR);
    expect((await run('guests', 'show', 'vm-1')).stdout).toMatch(/host:\s+host-c/);
  });

  it('evacuate --watch moves vm-1 back off host-c and waits for every move', async () => {
    const evacuated = await run('evacuate', 'host-c', '--watch');
    expect(evacuated.code).toBe(0);
    expect(evacuated.stdout).toMatch(/^evacuation \S+ of host-c: 1 move, 0 unplaceable/);
    expect(evacuated.stdout).toMatch(/\nvm-1 → \S+: completed\n/);
    expect(evacuated.stdout).toMatch(/: 1\/1 completed/);
    expect((await run('hosts', 'ls')).stdout).toMatch(/host-c .*cordoned/);
  });
});
