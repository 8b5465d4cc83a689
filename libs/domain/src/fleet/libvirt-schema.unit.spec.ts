import { describe, expect, it } from 'vitest';
import { decideHost, evolveHost, guestSchema, hostSchema, type HostState } from '@ferry/domain';

const host = (libvirt: unknown) =>
  hostSchema.safeParse({
    id: 'h1',
    arch: 'x86_64',
    cpuVendor: 'amd',
    memory: '64GiB',
    kernel: '6.8.0',
    iommu: { model: 'amd-vi' },
    libvirt,
  });
const fieldOf = (result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) =>
  result.error?.issues[0]?.path.join('.');

describe('hosts[].libvirt', () => {
  it('takes a libvirt URI and a credential file', () => {
    expect(host({ uri: 'qemu+ssh://root@h1.example/system', credential: '/etc/ferry/keys/h1' }).success).toBe(true);
    expect(host({ uri: 'qemu+tcp://127.0.0.1:16510/system' }).success).toBe(true);
  });

  it('refuses a password in the URI, a URI that is not libvirt’s, and a secret-looking credential', () => {
    expect(fieldOf(host({ uri: 'qemu+tcp://admin:s3cret@h1/system' }))).toBe('libvirt.uri');
    expect(fieldOf(host({ uri: 'http://h1/system' }))).toBe('libvirt.uri');
    expect(fieldOf(host({ uri: 'qemu+tcp://h1/system', credential: 'pass word!' }))).toBe('libvirt.credential');
  });
});

describe('guests[].libvirt', () => {
  const guest = (libvirt: unknown) =>
    guestSchema.safeParse({
      id: 'g',
      host: 'h1',
      machine: 'pc-q35-7.2',
      cpuVendor: 'amd',
      memory: { ram: '1GiB' },
      libvirt,
    });

  it('maps by UUID, stored lower-case, with the name as a label', () => {
    const parsed = guest({ uuid: '3C9E4A52-8D0F-4F0E-9A43-6A1D2B7C9E01', name: 'Web 1' });
    expect(parsed.data?.libvirt).toEqual({ uuid: '3c9e4a52-8d0f-4f0e-9a43-6a1d2b7c9e01', name: 'Web 1' });
  });

  it('refuses what is not a UUID', () => {
    expect(fieldOf(guest({ uuid: 'web-1' }))).toBe('libvirt.uuid');
  });
});

describe('host reachability', () => {
  const registered = evolveHost(undefined, { type: 'HostRegistered', data: { host: host(undefined).data! } })!;
  const apply = (state: HostState, events: ReturnType<typeof decideHost>) =>
    events.reduce<HostState>((s, e) => evolveHost(s, e)!, state);

  it('records the silence once and the return once', () => {
    const silent = decideHost(
      { type: 'MarkHostUnreachable', reason: 'agent a silent for 31 s', lastSeenAt: null },
      registered,
    );
    expect(silent.map((e) => e.type)).toEqual(['HostUnreachable']);
    const down = apply(registered, silent);
    expect(decideHost({ type: 'MarkHostUnreachable', reason: 'again', lastSeenAt: null }, down)).toEqual([]);
    const back = decideHost({ type: 'MarkHostReachable', agent: 'a' }, down);
    expect(back.map((e) => e.type)).toEqual(['HostReachable']);
    expect(decideHost({ type: 'MarkHostReachable', agent: 'a' }, apply(down, back))).toEqual([]);
  });
});
