import { describe, expect, it } from 'vitest';
import { domainIdentity, failure, isGated, parseHookSettings } from './gate-hook.js';

const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('the hook reads the domain XML', () => {
  it('takes the root domain’s own uuid and name, not one nested in metadata', () => {
    const xml = `<?xml version="1.0"?>
<!-- <uuid>11111111-1111-1111-1111-111111111111</uuid> -->
<domain type='kvm' id='3'>
  <metadata><app:info xmlns:app="urn:x"><uuid>22222222-2222-2222-2222-222222222222</uuid></app:info></metadata>
  <name>db &amp; cache</name>
  <uuid>${UUID.toUpperCase()}</uuid>
  <devices><disk type='file'/></devices>
</domain>`;
    expect(domainIdentity(xml)).toEqual({ uuid: UUID, name: 'db & cache' });
  });

  it('finds nothing in a document without a domain uuid', () => {
    expect(domainIdentity('<domain><name>x</name></domain>')).toBeUndefined();
    expect(domainIdentity('<network><uuid>' + UUID + '</uuid></network>')).toBeUndefined();
    expect(domainIdentity('not xml at all')).toBeUndefined();
  });
});

describe('the hook’s settings and failure modes', () => {
  it('gates only migrate begin', () => {
    expect(isGated(['vm', 'migrate', 'begin', '-'])).toBe(true);
    expect(isGated(['vm', 'prepare', 'begin', '-'])).toBe(false);
    expect(isGated(['vm', 'migrate', 'end', '-'])).toBe(false);
  });

  it('reads its settings before `--` and falls back to fail-closed when the mode is missing or unknown', () => {
    const parsed = parseHookSettings(['--api', 'http://f/', '--host', 'h1', '--', 'vm', 'migrate', 'begin', '-']);
    expect(parsed.libvirtArgs).toEqual(['vm', 'migrate', 'begin', '-']);
    expect(parsed.settings).toMatchObject({
      api: 'http://f',
      hostId: 'h1',
      failureMode: 'fail-closed',
      timeoutMs: 3000,
    });
    expect(parseHookSettings(['--failure-mode', 'sometimes']).settings.failureMode).toBe('fail-closed');
    const open = parseHookSettings(['--failure-mode', 'fail-open']).settings;
    expect(failure(open, 'vm', 'down')).toEqual({
      code: 0,
      stderr: 'ferry: down; fail-open: allowing the migration of vm unchecked\n',
    });
  });
});
