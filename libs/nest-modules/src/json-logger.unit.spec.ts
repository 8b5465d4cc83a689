import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { log } from './json-logger.js';

describe('the JSON log', () => {
  let lines: string[];
  const level = process.env.FERRY_LOG;
  beforeEach(() => {
    lines = [];
    process.env.FERRY_LOG = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.env.FERRY_LOG = level;
  });

  it('drops an access_token from any URL in any field, keeping the rest of the line', () => {
    log('error', 'failed GET /v1/stream?access_token=fry_secret1', {
      path: '/v1/stream?after=3&access_token=fry_secret2&streams=host-',
      stack: 'Error: at "http://x/v1/stream?ACCESS_TOKEN=fry_secret3"',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/fry_secret/);
    expect(JSON.parse(lines[0]!).path).toBe('/v1/stream?after=3&access_token=[redacted]&streams=host-');
  });

  it('leaves lines without one alone', () => {
    log('info', 'request', { path: '/v1/hosts?access=1' });
    expect(JSON.parse(lines[0]!).path).toBe('/v1/hosts?access=1');
  });
});
