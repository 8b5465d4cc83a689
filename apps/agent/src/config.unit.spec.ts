import { describe, expect, it } from 'vitest';
import { ConfigError, parseAgentConfig, parseDuration } from './config.js';

const base = ['--api', 'http://ferry:8080/', '--token-file', '/etc/ferry/agent.token'];

describe('ferry-agent configuration', () => {
  it('pairs --host, --libvirt and --root by position and reads durations', () => {
    const config = parseAgentConfig(
      [
        ...base,
        '--host',
        'h1',
        '--libvirt',
        'qemu+tcp://h1/system',
        '--host',
        'h2',
        '--libvirt',
        'qemu+ssh://root@h2/system',
        '--root',
        '/',
        '--heartbeat',
        '2s',
      ],
      {},
    );
    expect(config.api).toBe('http://ferry:8080');
    expect(config.hosts).toEqual([
      { id: 'h1', libvirt: 'qemu+tcp://h1/system', root: '/' },
      { id: 'h2', libvirt: 'qemu+ssh://root@h2/system', root: '/' },
    ]);
    expect(config.heartbeatMs).toBe(2000);
    expect(config.resyncMs).toBe(300_000);
  });

  it('refuses what it cannot run with, naming the option', () => {
    expect(() => parseAgentConfig(['--host', 'h1', '--libvirt', 'x'], {})).toThrow(/--api/);
    expect(() => parseAgentConfig([...base, '--host', 'h1'], {})).toThrow(/one --libvirt URI per --host/);
    expect(() => parseAgentConfig([...base, '--host', 'H_1', '--libvirt', 'x'], {})).toThrow(/not a Ferry host id/);
    expect(() =>
      parseAgentConfig([...base, '--host', 'h1', '--libvirt', 'x', '--host', 'h1', '--libvirt', 'y'], {}),
    ).toThrow(/given twice/);
    expect(() => parseDuration('soon', 'heartbeat')).toThrow(ConfigError);
    expect(parseDuration('250ms', 'x')).toBe(250);
    expect(parseDuration('1.5m', 'x')).toBe(90_000);
  });
});
