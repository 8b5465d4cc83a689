// The lab harness itself: two real libvirt hosts, a TCG guest live-migrated from A to B with virsh,
// and a teardown that leaves no process behind.
import { afterAll, describe, expect, it } from 'vitest';
import { alive, libvirtLabUnavailable, startLab, type Lab } from './support/libvirt-lab.js';

const UNAVAILABLE = libvirtLabUnavailable();

describe.skipIf(UNAVAILABLE)(UNAVAILABLE ? `the libvirt lab [skipped: ${UNAVAILABLE}]` : 'the libvirt lab', () => {
  let lab: Lab | undefined;
  afterAll(async () => lab?.teardown());

  it('runs two hosts with distinct UUIDs, live-migrates a guest from A to B, and tears down by pid', async () => {
    lab = await startLab({ hosts: 2 });
    const [a, b] = lab.hosts;
    expect(a.hostUuid).not.toBe(b.hostUuid);
    expect(await a.virsh('capabilities')).toContain(`<uuid>${a.hostUuid}</uuid>`);
    expect(await b.virsh('capabilities')).toContain(`<uuid>${b.hostUuid}</uuid>`);

    const guest = await lab.defineTestGuest(a, { name: 'lab-guest', workingSetMiB: 32, pagesPerSecond: 1000 });
    expect((await a.virsh('domstate', guest.name)).trim()).toBe('running');
    expect(a.qemuPids()).toHaveLength(1);

    await a.virsh('migrate', '--live', '--p2p', '--persistent', '--undefinesource', guest.name, b.uri);
    expect((await b.virsh('domstate', guest.name)).trim()).toBe('running');
    expect((await b.virsh('domuuid', guest.name)).trim()).toBe(guest.uuid);
    await expect(a.virsh('domstate', guest.name)).rejects.toThrow(/failed to get domain/);
    expect(b.qemuPids()).toHaveLength(1);

    // exec runs inside the host's mount namespace: it sees that host's private /etc/libvirt.
    const seen = await b.exec('grep host_uuid /etc/libvirt/libvirtd.conf');
    expect(seen.stdout).toContain(b.hostUuid);
    // A libvirtd restart keeps the running domain (libvirt reconnects to its QEMU).
    await b.restartLibvirtd();
    expect((await b.virsh('domstate', guest.name)).trim()).toBe('running');

    const pids = lab.knownPids();
    expect(pids.length).toBeGreaterThanOrEqual(5);
    await lab.teardown();
    lab = undefined;
    expect(pids.filter(alive)).toEqual([]);
  });
});
