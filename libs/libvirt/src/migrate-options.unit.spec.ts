import { describe, expect, it } from 'vitest';
import { migrateArguments } from './migrate-options.js';

describe('virsh migrate arguments', () => {
  it('always migrates live, peer to peer, persistent on the destination and undefined on the source', () => {
    expect(migrateArguments('u-1', 'qemu+tcp://b/system', {})).toEqual([
      'migrate',
      '--live',
      '--p2p',
      '--persistent',
      '--undefinesource',
      '--abort-on-error',
      'u-1',
      'qemu+tcp://b/system',
    ]);
  });

  it('maps bandwidth to whole MiB/s (at least 1), auto-converge, post-copy and parallel connections', () => {
    const args = migrateArguments('u-1', 'qemu+tcp://b/system', {
      maxBandwidth: 5 * 2 ** 20 + 100,
      autoConverge: true,
      postcopy: true,
      parallelConnections: 4,
    });
    expect(args.join(' ')).toContain('--bandwidth 5 --auto-converge --postcopy --parallel --parallel-connections 4');
    expect(migrateArguments('u', 'd', { maxBandwidth: 1000 }).join(' ')).toContain('--bandwidth 1');
    expect(migrateArguments('u', 'd', { parallelConnections: 1 })).not.toContain('--parallel');
  });
});
